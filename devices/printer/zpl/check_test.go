package zpl

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestCheckAccepts(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"one format", "^XA^FO50,50^A0N,30,30^FDHello^FS^XZ"},
		{"two formats and blank lines", "^XA^FDa^FS^XZ\r\n\r\n^XA^FDb^FS^XZ\n"},
		{"lower case", "^xa^fo10,10^fdx^fs^xz"},
		{"session settings", "^XA^MD10^PR4^PW812^LL1218^MNY^MTD^MMT^LS0^LT0^PON^PMN^CI28^JZY^MUd^XZ"},
		{"control commands between formats", "~SD20~TA000^XA^FDx^FS^XZ"},
		{"control command on its own line", "~SD20\r\n^XA^FDx^FS^XZ\r\n"},
		{"multiline graphic download", "~DGR:SSGFX000.GRF,8,2,\n,::K0FFC0,\nJ07FF\n^XA^XGR:SSGFX000.GRF^FS^XZ"},
		{"graphic to RAM", "~DGR:LOGO.GRF,4,1,FF00\n^XA^XGR:LOGO.GRF,1,1^FS^IDR:LOGO.GRF^FS^XZ"},
		{"graphic without drive", "~DGLOGO.GRF,2,1,FF^XA^XGLOGO.GRF^FS^IDLOGO.GRF^FS^XZ"},
		{"hex graphic field", "^XA^FO0,0^GFA,4,4,1,FF00FF00^FS^XZ"},
		{"Z64 graphic field", "^XA^GFA,8,8,1,:Z64:eJz7/x8AAv8B/w==:3A4B^FS^XZ"},
		{"binary graphic field with carets", "^XA^GFB,4,4,1,^~^X^FS^XZ"},
		{"binary DY with carets", "~DYR:IMG,B,GRF,3,1,^XZ^XA^FDx^FS^XZ"},
		{"RFID write", "^XA^RS8^WTN^FD1234^FS^XZ"},
		{"escaped field data", "^XA^FH_^FD_5EJU_7EJR^FS^XZ"},
		{"stored format in RAM", "^XA^DFR:SHIP.ZPL^FS^FO0,0^FN1^FS^XZ^XA^XFR:SHIP.ZPL^FN1^FDx^FS^XZ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Check("label_zpl", []byte(tc.body)); err != nil {
				t.Errorf("Check(%q) = %v", tc.body, err)
			}
		})
	}
}

func TestCheckRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, body, code, cmd, msg string
	}{
		{"empty", "", CodeInvalid, "", "label_zpl: no ^XA...^XZ format"},
		{"blank", " \r\n", CodeInvalid, "", "label_zpl: no ^XA...^XZ format"},
		{"save to flash", "^XA^MD10^JUS^XZ", CodeInvalid, "^JU", "label_zpl: ^JU (saves settings to flash) is not allowed"},
		{"lower-case save", "^XA^jus^XZ", CodeInvalid, "^JU", "label_zpl: ^JU (saves settings to flash) is not allowed"},
		{"split by newline", "^XA^J\r\nUS^XZ", CodeInvalid, "^JU", "label_zpl: ^JU (saves settings to flash) is not allowed"},
		{"reset", "^XA^XZ~JR", CodeInvalid, "~JR", "label_zpl: ~JR (resets the printer) is not allowed"},
		{"diagnostics", "~JD^XA^XZ", CodeInvalid, "~JD", "label_zpl: ~JD (enables communications diagnostics) is not allowed"},
		{"delete from flash", "^XA^IDE:*.*^FS^XZ", CodeInvalid, "^ID", "label_zpl: ^ID on E: (deletes objects in non-volatile memory) is not allowed: only R: (RAM) may be used"},
		{"delete everywhere", "^XA^ID*:*.*^FS^XZ", CodeInvalid, "^ID", "label_zpl: ^ID on *: (deletes objects in non-volatile memory) is not allowed: only R: (RAM) may be used"},
		{"config label", "^XA^XZ~WC", CodeInvalid, "~WC", "label_zpl: ~WC (changes the printer's network settings or prints its configuration) is not allowed"},
		{"cancel all", "~JA^XA^XZ", CodeInvalid, "~JA", "label_zpl: ~JA (cancels every format in the printer) is not allowed"},
		{"network", "^XA^NS,192.168.0.9,255.255.255.0,192.168.0.1^XZ", CodeInvalid, "^NS", "label_zpl: ^NS (changes the printer's network settings) is not allowed"},
		{"network id", "^XA^NC1^XZ", CodeInvalid, "^NC", ""},
		{"wireless", "^XA^WIA,1.2.3.4^XZ", CodeInvalid, "^WI", ""},
		{"password", "^XA^KP1234^XZ", CodeInvalid, "^KP", "label_zpl: ^KP (changes the printer's identity or front-panel settings) is not allowed"},
		{"printer name", "^XA^KNdock-3^XZ", CodeInvalid, "^KN", ""},
		{"language", "^XA^KL1^XZ", CodeInvalid, "^KL", ""},
		{"backfeed", "~JSN^XA^XZ", CodeInvalid, "~JS", ""},
		{"flash graphic", "~DGE:LOGO.GRF,2,1,FF^XA^XZ", CodeInvalid, "~DG", "label_zpl: ~DG on E: (stores a graphic in non-volatile memory) is not allowed: only R: (RAM) may be used"},
		{"flash object", "~DYB:FONT,A,T,2,,FF^XA^XZ", CodeInvalid, "~DY", ""},
		{"flash format", "^XA^DFE:FMT.ZPL^FS^XZ", CodeInvalid, "^DF", ""},
		{"caret change", "^XA^CC+^XZ", CodeInvalid, "^CC", "label_zpl: ^CC (changes the command prefix) is not allowed"},
		{"tilde change", "~CT+^XA^XZ", CodeInvalid, "~CT", ""},
		{"host status", "^XA^XZ~HS", CodeInvalid, "~HS", "label_zpl: ~HS (makes the printer answer on the status channel) is not allowed"},
		{"host verification", "^XA^HV1,10^FDx^FS^XZ", CodeInvalid, "^HV", ""},
		{"resume", "^XA^XZ~PS", CodeInvalid, "~PS", ""},
		{"ZBI", "^XA^JI^XZ", CodeInvalid, "^JI", ""},
		{"command inside field data", "^XA^FDfoo~JAbar^FS^XZ", CodeInvalid, "~JA", ""},
		{"command inside a comment", "^XA^FXdo not ^JUS^FS^XZ", CodeInvalid, "^JU", ""},
		{"text outside", "hello^XA^XZ", CodeInvalid, "", `label_zpl: "hello^XA^XZ" at byte 0 is outside a ^XA...^XZ format`},
		{"SGD outside", "^XA^XZ\n! U1 setvar \"device.reset\" \"\"\n", CodeInvalid, "", ""},
		{"SGD after a control command", "~SD20\n! U1 setvar \"device.reset\" \"\"\n^XA^XZ", CodeInvalid, "", ""},
		{"JSON SGD outside", "{}{\"device.reset\":\"\"}^XA^XZ", CodeInvalid, "", ""},
		{"field outside", "^FDx^FS^XA^XZ", CodeInvalid, "^FD", "label_zpl: ^FD at byte 0 is outside a ^XA...^XZ format"},
		{"unclosed", "^XA^FDx^FS", CodeInvalid, "", "label_zpl: the format opened with ^XA at byte 0 is not closed with ^XZ"},
		{"nested", "^XA^XA^XZ", CodeInvalid, "^XA", "label_zpl: ^XA at byte 3 opens a format inside the one opened at byte 0 (missing ^XZ)"},
		{"stray XZ", "^XA^XZ^XZ", CodeInvalid, "^XZ", "label_zpl: ^XZ at byte 6 closes no format (missing ^XA)"},
		{"binary count too big", "^XA^GFB,99,99,1,^XZ", CodeInvalid, "^GF", ""},
		{"binary count not a number", "^XA^GFB,x,1,1,AA^FS^XZ", CodeInvalid, "^GF", ""},
		{"hidden after binary", "^XA^GFB,2,2,1,AB^JUS^XZ", CodeInvalid, "^JU", ""},
		{"too large", "^XA" + strings.Repeat(" ", MaxPassthrough) + "^XZ", CodeTooLarge, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check("label_zpl", []byte(tc.body))
			var ce *CheckError
			if !errors.As(err, &ce) {
				t.Fatalf("Check(%q) = %v, want a *CheckError", tc.body, err)
			}
			if ce.Code != tc.code || ce.Command != tc.cmd {
				t.Errorf("code, command = %q, %q, want %q, %q (%v)", ce.Code, ce.Command, tc.code, tc.cmd, err)
			}
			if tc.msg != "" && err.Error() != tc.msg {
				t.Errorf("message = %q\nwant      %q", err.Error(), tc.msg)
			}
		})
	}
}

// naiveRefused finds refused command names by plain search, for the fuzz cross-check.
func naiveRefused(body []byte) bool {
	up := bytes.ToUpper([]byte(strings.NewReplacer("\r", "", "\n", "").Replace(string(body))))
	for cmd := range refusedCommands {
		if bytes.Contains(up, []byte(cmd)) {
			return true
		}
	}
	for _, p := range []string{"^WA", "^WD", "^WE", "^WI", "^WL", "^WP", "^WR", "^WS", "^WX"} {
		if bytes.Contains(up, []byte(p)) {
			return true
		}
	}
	return groupRE.Match(up)
}

// groupRE matches the commands refused by their first letter (a second character is needed to
// make a command).
var groupRE = regexp.MustCompile(`[\^~][HNK][^\^~]|~W[^\^~]`)

func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"^XA^FDx^FS^XZ", "^XA^JUS^XZ", "~DGE:X,1,1,F^XA^XZ", "^XA^GFB,2,2,1,^J^XZ", "^xa^j\nus^xz",
		"~DYR:A,B,GRF,1,1,^^XA^XZ", "^XA^ID*:*.*^XZ", "^XA^FH_^FD_5EJU^FS^XZ", "^XA^XZ^XA",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := Check("zpl", body)
		if err != nil {
			var ce *CheckError
			if !errors.As(err, &ce) || (ce.Code != CodeInvalid && ce.Code != CodeTooLarge) {
				t.Fatalf("Check(%q) = %v: not a CheckError with a known code", body, err)
			}
			if !strings.HasPrefix(err.Error(), "zpl: ") {
				t.Fatalf("message %q does not name the field", err)
			}
			return
		}
		up := bytes.ToUpper([]byte(strings.NewReplacer("\r", "", "\n", "").Replace(string(body))))
		if !bytes.Contains(up, []byte("^XA")) || !bytes.Contains(up, []byte("^XZ")) {
			t.Fatalf("accepted %q without a format", body)
		}
		// Without binary payloads, a plain search must agree that nothing refused is there.
		if !bytes.Contains(up, []byte("^GF")) && !bytes.Contains(up, []byte("~DY")) && naiveRefused(body) {
			t.Fatalf("accepted %q which holds a refused command", body)
		}
	})
}

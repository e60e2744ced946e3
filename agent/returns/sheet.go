package returns

import (
	"fmt"
	"strconv"

	"github.com/stationd/stationd/devices/printer/zpl"
	fwreturns "github.com/stationd/stationd/firmware-config/returns"
)

// Sheet geometry, in millimetres, for a 4 × 6 in label (101.6 × 152.4 mm) in portrait.
const (
	SheetWidthMM  = 101.6
	SheetHeightMM = 152.4

	sheetMargin  = 3.0
	headerH      = 10.0  // the black title bar
	bodyTop      = 16.0  // first heading
	bodyBottom   = 144.0 // rows end above the footer line
	footerY      = 146.0
	headingH     = 7.0
	rowH         = 12.5
	barX         = 4.0
	barH         = 9.0
	barModule    = 0.25 // X dimension: 2, 3 and 6 dots at 203, 300 and 600 dpi
	barMaxWidth  = 64.0 // symbol and quiet zones; "RSN-NON-CONFORMING" takes 63.25 mm at 0.25 mm
	textX        = 68.0
	textW        = SheetWidthMM - textX - sheetMargin
	nameFont     = 3.0
	codeFont     = 2.2
	headingFont  = 3.6
	titleFont    = 6.0
	footerFont   = 2.4
	contentWidth = SheetWidthMM - 2*sheetMargin
)

// sheetText are the sheet's own texts.
var sheetText = map[string]struct {
	title, reasons, conditions, controls, boxes, cont, box, footer string
}{
	"en": {"RETURNS STATION", "Reason: scan after the items", "Condition (optional, before the reason)", "Controls", "Boxes (packing)", " (continued)", "Box %s",
		"RMA or order id > items > condition? > reason > ... > RET-DONE"},
	"fr": {"POSTE RETOURS", "Motif : après les articles", "État (facultatif, avant le motif)", "Commandes", "Cartons (emballage)", " (suite)", "Carton %s",
		"N° retour ou commande > articles > état ? > motif > ... > RET-DONE"},
}

// sheetEntry is one barcode of the sheet.
type sheetEntry struct {
	code, name string
}

type sheetSection struct {
	heading string
	entries []sheetEntry
}

// Sheet returns the ZPL of the returns station's barcode sheet for the shipped rules: every
// reason, condition and control barcode, and the box ids of pack.boxes (boxes, in order), as
// Code 128 with the entry's name in lang ("en" or "fr"; "" is "en") and the code in clear
// beside it. It is one or more 4 × 6 in labels (^XA ... ^XZ each) for a printer of dpi dots per
// inch (203, 300 or 600); every field goes through the zpl builder, escaped with ^FH. `stationd
// sheet` prints it or sends it to the printer.
func Sheet(dpi int, lang string, boxes []string) ([]byte, error) {
	r, err := fwreturns.Default()
	if err != nil {
		return nil, fmt.Errorf("returns: sheet: shipped rules: %w", err)
	}
	return SheetFor(r, dpi, lang, boxes)
}

// SheetFor is Sheet for the given rules (a site's own rules file).
func SheetFor(r *fwreturns.Rules, dpi int, lang string, boxes []string) ([]byte, error) {
	if lang == "" {
		lang = "en"
	}
	tx, ok := sheetText[lang]
	if !ok {
		return nil, fmt.Errorf("returns: sheet: language %q: must be en or fr", lang)
	}
	if zpl.DotsPerMM(dpi) == 0 {
		return nil, fmt.Errorf("returns: sheet: %d dpi: must be 203, 300 or 600 (the printer's resolution)", dpi)
	}
	if err := checkRules(r); err != nil {
		return nil, fmt.Errorf("returns: sheet: %w", err)
	}
	sections := []sheetSection{{heading: tx.reasons}, {heading: tx.conditions}, {heading: tx.controls}}
	for _, x := range r.Reasons {
		sections[0].entries = append(sections[0].entries, sheetEntry{x.Barcode, x.In(lang)})
	}
	for _, x := range r.Conditions {
		sections[1].entries = append(sections[1].entries, sheetEntry{x.Barcode, x.In(lang)})
	}
	for _, c := range controls {
		sections[2].entries = append(sections[2].entries, sheetEntry{c.Code, c.Names.In(lang)})
	}
	if len(boxes) > 0 {
		s := sheetSection{heading: tx.boxes}
		for _, b := range boxes {
			s.entries = append(s.entries, sheetEntry{b, fmt.Sprintf(tx.box, b)})
		}
		sections = append(sections, s)
	}

	pages := paginate(sections, tx.cont)
	var out []byte
	l, err := zpl.NewLabel(dpi)
	if err != nil {
		return nil, fmt.Errorf("returns: sheet: %w", err)
	}
	for i, p := range pages {
		if i > 0 {
			l.Reset(dpi)
		}
		drawPage(l, tx.title, tx.footer, i+1, len(pages), p)
		b, err := l.Bytes()
		if err != nil {
			return nil, fmt.Errorf("returns: sheet page %d: %w", i+1, err)
		}
		out = append(out, b...)
	}
	return out, nil
}

// placed is a heading or an entry at its y on a page.
type placed struct {
	y       float64
	heading string     // a heading when not ""
	entry   sheetEntry // else an entry
}

// paginate flows the sections onto pages: a heading is never the last thing on a page, and a
// section cut by a page break repeats its heading with cont appended.
func paginate(sections []sheetSection, cont string) [][]placed {
	var pages [][]placed
	var page []placed
	y := bodyTop
	newPage := func() {
		pages = append(pages, page)
		page, y = nil, bodyTop
	}
	for _, s := range sections {
		heading := s.heading
		for i, e := range s.entries {
			needHeading := i == 0 || y == bodyTop
			need := rowH
			if needHeading {
				need += headingH
			}
			if y+need > bodyBottom && y > bodyTop {
				newPage()
				if i > 0 {
					heading = s.heading + cont
				}
			}
			if i == 0 || y == bodyTop {
				page = append(page, placed{y: y, heading: heading})
				y += headingH
			}
			page = append(page, placed{y: y, entry: e})
			y += rowH
		}
	}
	if len(page) > 0 {
		pages = append(pages, page)
	}
	return pages
}

// drawPage draws one label of the sheet.
func drawPage(l *zpl.Label, title, footer string, n, of int, items []placed) {
	l.Fill(sheetMargin, sheetMargin, contentWidth, headerH)
	l.Text(sheetMargin+2, sheetMargin+2, zpl.Font{Height: titleFont, Reverse: true}, title)
	l.TextBlock(sheetMargin, sheetMargin+3, contentWidth-2, 1, zpl.Right, zpl.Font{Height: headingFont, Reverse: true},
		strconv.Itoa(n)+"/"+strconv.Itoa(of))
	for _, p := range items {
		if p.heading != "" {
			l.Text(sheetMargin, p.y+1.5, zpl.Font{Height: headingFont}, p.heading)
			l.Fill(sheetMargin, p.y+headingH-1.2, contentWidth, 0.3)
			continue
		}
		l.Code128(barX, p.y, zpl.Bar{Height: barH, Module: barModule, MaxWidth: barMaxWidth}, p.entry.code)
		l.TextBlock(textX, p.y, textW, 2, zpl.Left, zpl.Font{Height: nameFont}, p.entry.name)
		l.Text(textX, p.y+2*nameFont+1, zpl.Font{Height: codeFont}, p.entry.code)
	}
	l.TextBlock(sheetMargin, footerY, contentWidth, 1, zpl.Center, zpl.Font{Height: footerFont}, footer)
}

// Package toledo drives POS and scanner scales that speak the Toledo 8213/8217 demand protocol
// and registers the scale driver "toledo".
//
// Source: METTLER TOLEDO "DIVA Service Manual" 72191202 (05/2012), chapter 6.1 host protocols:
// §6.1.4.1 (7 data bits, even parity, 1 stop bit; 1200 to 19200 baud; at least 200 ms between
// commands), §6.1.4.2 and §6.1.3.2 (commands W, Z, T CR, TWWWWW CR, C, E; weight replies
// STX 0WW.WW CR / STX WW.WWW CR with an optional N for net, status replies STX ? status CR) and
// §6.1.4.3 (status byte); the 8213-style bit 5 from the Rice Lake BenchPro manual. Cross-checked
// with Odoo's Toledo8217Protocol driver.
//
// The host sends W; a stable, positive, in-range weight comes back as digits, anything else as a
// status byte: over capacity is overload, under zero underload, motion unstable (the protocol
// never gives a moving weight, so a Monitor sees no reading while the parcel moves). The frames
// carry no unit: the entry's unit key (kg or lb) must match the scale's unit mode (contract §6).
//
// Scale side: select the 8217 (or 8213) host protocol, 9600 baud, 7 data bits, even parity, the
// unit of the entry, and enable tare in calibration mode if the station is to tare.
package toledo

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/devices/scale/internal/link"
	"github.com/stationd/stationd/protocol/units"
)

// Protocols.
const (
	Protocol8217 = "8217"
	Protocol8213 = "8213"
)

// Defaults.
const (
	DefaultTimeout = time.Second
	DefaultGap     = 200 * time.Millisecond // DIVA §6.1.4.1: at least 200 ms between commands
)

// Options configure a Scale.
type Options struct {
	Name     string        // names the scale in errors: "scale1 (/dev/ttyUSB0)"
	Unit     scale.Unit    // scale.Kilogram or scale.Pound: the scale's unit mode (required)
	Protocol string        // Protocol8217 (default) or Protocol8213
	Timeout  time.Duration // wait for a reply; default 1 s
	// Gap is the least time between two commands (default 200 ms, DIVA §6.1.4.1); negative: none.
	Gap time.Duration
}

// Scale is a Toledo 8213/8217 scale. It is safe for concurrent use.
type Scale struct {
	o    Options
	l    *link.Link
	last time.Time // when the last command went out; guarded by the exchange lock
}

// New returns a Scale speaking the Toledo protocol over rw. Its reading goroutine ends when rw's
// Read fails: the owner of rw closes it. Close does not close rw.
func New(rw io.ReadWriter, o Options) *Scale { return newScale(rw, nil, o) }

func newScale(rw io.ReadWriter, closer io.Closer, o Options) *Scale {
	if o.Protocol == "" {
		o.Protocol = Protocol8217
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Gap == 0 {
		o.Gap = DefaultGap
	}
	if o.Name == "" {
		o.Name = "toledo"
	}
	return &Scale{o: o, l: link.New(rw, closer)}
}

func (s *Scale) String() string { return s.o.Name }

// Read sends W and returns the weight, or the status as an error.
func (s *Scale) Read(ctx context.Context) (scale.Reading, error) {
	r, err := s.exchange(ctx, "W")
	if err != nil {
		return scale.Reading{}, err
	}
	rd, err := WeightResult(r)
	return rd, scale.WithDevice(err, s.o.Name)
}

// Zero sends Z.
func (s *Scale) Zero(ctx context.Context) error {
	r, err := s.exchange(ctx, "Z")
	if err != nil {
		return err
	}
	return scale.WithDevice(ZeroResult(r), s.o.Name)
}

// Tare sends T CR: tare the weight on the platter.
func (s *Scale) Tare(ctx context.Context) error {
	r, err := s.exchange(ctx, "T\r")
	if err != nil {
		return err
	}
	return scale.WithDevice(TareResult(r, s.o.Protocol), s.o.Name)
}

// PresetTare sends a known tare (TWWWWW CR, five digits: WW.WWW kg or WWW.WW lb in the scale's
// unit, rounded half away from zero).
func (s *Scale) PresetTare(ctx context.Context, m units.Mass) error {
	digits, err := tareDigits(m, s.o.Unit)
	if err != nil {
		return scale.WithDevice(err, s.o.Name)
	}
	r, err := s.exchange(ctx, "T"+digits+"\r")
	if err != nil {
		return err
	}
	return scale.WithDevice(TareResult(r, s.o.Protocol), s.o.Name)
}

// ClearTare sends C.
func (s *Scale) ClearTare(ctx context.Context) error {
	r, err := s.exchange(ctx, "C")
	if err != nil {
		return err
	}
	return scale.WithDevice(ClearResult(r), s.o.Name)
}

// Echo runs the serial port test (DIVA §6.1.4.2 E; Odoo's probe): it sends E and data, expects
// STX E CR and data echoed back, then ends echo mode with F. It proves the line settings.
func (s *Scale) Echo(ctx context.Context, data string) (string, error) {
	if err := s.begin(ctx, "E"+data); err != nil {
		return "", err
	}
	defer s.l.Unlock()
	defer s.l.Write([]byte("F"))
	frame, err := s.l.Next(ctx, s.o.Timeout, splitFrame)
	if err != nil {
		return "", link.ScaleError(err, s.o.Name, "E", s.o.Timeout, s.l.Buffered())
	}
	if string(frame) != "\x02E\r" {
		return "", scale.NewError(s.o.Name, scale.CodeParse, fmt.Sprintf("scale answered E with %q", frame))
	}
	n := len(data)
	echo, err := s.l.Next(ctx, s.o.Timeout, func(b []byte) (int, []byte) {
		if len(b) < n {
			return 0, nil
		}
		return n, b[:n]
	})
	if err != nil {
		return "", link.ScaleError(err, s.o.Name, "E", s.o.Timeout, s.l.Buffered())
	}
	return string(echo), nil
}

// begin takes the exchange lock, waits out the gap after the previous command, drops stale bytes
// and sends cmd. On success the caller holds the lock.
func (s *Scale) begin(ctx context.Context, cmd string) error {
	if err := s.l.Lock(ctx); err != nil {
		return fmt.Errorf("%s: %w", s.o.Name, err)
	}
	if wait := s.o.Gap - time.Since(s.last); s.o.Gap > 0 && wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			s.l.Unlock()
			return fmt.Errorf("%s: %w", s.o.Name, ctx.Err())
		case <-t.C:
		}
	}
	s.l.Discard()
	s.last = time.Now()
	if err := s.l.Write([]byte(cmd)); err != nil {
		s.l.Unlock()
		return link.ScaleError(err, s.o.Name, cmd, s.o.Timeout, 0)
	}
	return nil
}

func (s *Scale) exchange(ctx context.Context, cmd string) (Reply, error) {
	if err := s.begin(ctx, cmd); err != nil {
		return Reply{}, err
	}
	defer s.l.Unlock()
	what := cmd[:1]
	frame, err := s.l.Next(ctx, s.o.Timeout, splitFrame)
	if err != nil {
		return Reply{}, link.ScaleError(err, s.o.Name, what, s.o.Timeout, s.l.Buffered())
	}
	r, err := Parse(frame, s.o.Unit)
	return r, scale.WithDevice(err, s.o.Name)
}

// Halt does nothing: the scale sends only when asked.
func (s *Scale) Halt() error { return nil }

// Close releases the port if the Scale opened it and unblocks a pending Read with ErrClosed.
func (s *Scale) Close() error { return s.l.Close() }

// maxFrame bounds a frame; a longer run without CR is returned as a frame and fails Parse.
const maxFrame = 32

// splitFrame frames STX ... CR; bytes before STX are dropped.
func splitFrame(data []byte) (int, []byte) {
	if data[0] != STX {
		for i, c := range data {
			if c == STX {
				return i, nil
			}
		}
		return len(data), nil
	}
	for i := 1; i < len(data); i++ {
		if data[i] == CR {
			return i + 1, data[:i+1]
		}
		if i >= maxFrame {
			return i, data[:i]
		}
	}
	return 0, nil
}

// tareDigits writes m as the five digits of TWWWWW: grams for kg (WW.WWW), hundredths of a pound
// for lb (WWW.WW).
func tareDigits(m units.Mass, u scale.Unit) (string, error) {
	if m < 0 {
		return "", scale.NewError("", scale.CodeParameter, fmt.Sprintf("preset tare %v is negative", m))
	}
	var n int64
	switch u {
	case scale.Kilogram:
		n = m.Grams()
	case scale.Pound:
		// hundredths of a pound = mg × 100 / 453 592.37 = mg × 10 000 / 45 359 237, rounded.
		n = (int64(m)*10000 + 45359237/2) / 45359237
	default:
		return "", &scale.Error{Code: scale.CodeUnknownUnit, Detail: "the unit must be kg or lb"}
	}
	if n > 99999 {
		return "", scale.NewError("", scale.CodeParameter, fmt.Sprintf("preset tare %v does not fit five digits", m))
	}
	return fmt.Sprintf("%05d", n), nil
}

// Registration.

var serialLine = link.Line{DataBits: 7, Parity: "even", StopBits: "1"}

// Option keys of the toledo driver, beyond port, baud and the line settings.
const (
	OptUnit     = "unit"
	OptProtocol = "protocol"
	OptGap      = "command_gap_ms"
)

func init() {
	opts := append(serialLine.Options(),
		devices.Option{Key: OptUnit, Type: "string", Doc: "required: kg or lb, the scale's unit mode (Toledo frames carry no unit)"},
		devices.Option{Key: OptProtocol, Type: "string", Default: Protocol8217,
			Doc: "8217 or 8213 (8213-style scales keep status bit 5 at 1, so tare is not confirmed by the net bit)"},
		link.TimeoutOption(DefaultTimeout, "a reply"),
		devices.Option{Key: OptGap, Type: "int", Default: "200",
			Doc: "least milliseconds between two commands (the scale needs 200), 0 to 5000"},
	)
	scale.Register("toledo", scale.Driver{
		Doc:      "POS and scanner scales with the Toledo 8213/8217 W demand protocol (DIVA, Magellan scanner-scales)",
		Port:     true,
		Options:  opts,
		Validate: validate,
		Open:     open,
		Defaults: scale.Defaults{
			Poll:       200 * time.Millisecond,
			Stability:  scale.Stability{Count: 2, Delta: 5 * units.Gram, Window: 200 * time.Millisecond},
			FaultAfter: 2,
		},
	})
}

func validate(s devices.Spec) []devices.FieldError {
	errs := serialLine.Validate(s)
	if _, ok := s.Options[OptUnit]; !ok {
		errs = append(errs, devices.FieldError{Key: OptUnit, Msg: "required: kg or lb, as set on the scale (Toledo frames carry no unit)"})
	} else {
		errs = append(errs, link.OneOf(s, OptUnit, "kg", "lb")...)
	}
	errs = append(errs, link.OneOf(s, OptProtocol, Protocol8217, Protocol8213)...)
	errs = append(errs, link.IntRange(s, link.TimeoutKey, 10, 60000)...)
	errs = append(errs, link.IntRange(s, OptGap, 0, 5000)...)
	return errs
}

func open(_ context.Context, s devices.Spec, env devices.Env) (scale.Scale, error) {
	u, _ := scale.ParseUnit(s.StringOpt(OptUnit, ""))
	p, err := serialLine.Open(s)
	if err != nil {
		return nil, err
	}
	o := Options{
		Name:     s.Where(),
		Unit:     u,
		Protocol: s.StringOpt(OptProtocol, Protocol8217),
		Timeout:  link.Timeout(s, DefaultTimeout),
		Gap:      time.Duration(s.IntOpt(OptGap, int(DefaultGap/time.Millisecond))) * time.Millisecond,
	}
	if o.Gap == 0 {
		o.Gap = -1
	}
	if v, ok := s.Options[OptProtocol].(int); ok {
		o.Protocol = fmt.Sprint(v)
	}
	env.Logger().Debug("scale opened", "device", o.Name, "protocol", "toledo "+o.Protocol, "unit", o.Unit)
	return newScale(p, p, o), nil
}

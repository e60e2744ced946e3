// Package mtsics drives METTLER TOLEDO balances, weigh modules and terminals that speak MT-SICS
// (Standard Interface Command Set) level 0 and 1 over RS-232 or a USB virtual COM port, and
// registers the scale driver "mt-sics".
//
// Source: METTLER TOLEDO reference manual "Standard Interface Command Set MT-SICS" (doc.
// 11780711): §3.1-3.2 command and response formats (commands upper case, parameters separated by
// blanks, every line ends with CR LF), §4.1 level 0 (@, I2, I4, S, SI, SIR, Z, ZI) and §4.2
// level 1 (T, TA); general errors ES, ET, EL from the weigh-module manual §2.1.3.
//
// Read sends SI (weight immediately, stable "S S" or dynamic "S D") by default, so that the
// weight telemetry sees the load move; S (wait for stability) and SIR (repeat, read as a stream)
// are options. Zero sends Z and Tare sends T; the balance answers only once the weight is stable,
// so they wait up to command_timeout_ms.
//
// Balance side: set the RS-232 interface (or USB) to the host/MT-SICS mode, not a printer mode,
// with the same baud rate, 8 data bits, no parity, 1 stop bit, no handshake (the usual factory
// setting is 9600 8N1), and weighing unit 1 to g or kg.
package mtsics

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/devices/scale/internal/link"
	"github.com/stationd/stationd/protocol/units"
)

// Defaults.
const (
	DefaultTimeout        = time.Second
	DefaultCommandTimeout = 10 * time.Second
)

// Options configure a Scale.
type Options struct {
	// Name names the scale in errors and String: "scale1 (/dev/ttyUSB0)".
	Name string
	// Command is the weight request Read sends: "SI" (default), "S" or "SIR".
	Command string
	// Timeout is the wait for the answer to a weight request (default 1 s); with SIR the wait
	// for the next line.
	Timeout time.Duration
	// CommandTimeout is the wait for the answer to Z, ZI, T, TA, @, I2 and I4 (default 10 s):
	// the balance waits for a stable weight before it zeroes or tares.
	CommandTimeout time.Duration
}

// Scale is an MT-SICS balance. It is safe for concurrent use.
type Scale struct {
	o Options
	l *link.Link
	// streaming is set while SIR runs; guarded by the link's exchange lock.
	streaming bool
}

// New returns a Scale speaking MT-SICS over rw. It starts a goroutine reading rw, which ends
// when rw's Read fails: the owner of rw closes it. Close does not close rw.
func New(rw io.ReadWriter, o Options) *Scale { return newScale(rw, nil, o) }

func newScale(rw io.ReadWriter, closer io.Closer, o Options) *Scale {
	if o.Command == "" {
		o.Command = "SI"
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = DefaultCommandTimeout
	}
	if o.Name == "" {
		o.Name = "mt-sics"
	}
	return &Scale{o: o, l: link.New(rw, closer)}
}

func (s *Scale) String() string { return s.o.Name }

// Read returns one weight (see the package comment for the command sent).
func (s *Scale) Read(ctx context.Context) (scale.Reading, error) {
	if s.o.Command == "SIR" {
		return s.readStream(ctx)
	}
	res, err := s.do(ctx, s.o.Command, s.o.Timeout)
	return res.Reading, err
}

func (s *Scale) readStream(ctx context.Context) (scale.Reading, error) {
	if err := s.l.Lock(ctx); err != nil {
		return scale.Reading{}, fmt.Errorf("%s: %w", s.o.Name, err)
	}
	defer s.l.Unlock()
	if !s.streaming {
		s.l.Discard()
		if err := s.l.Write([]byte("SIR\r\n")); err != nil {
			return scale.Reading{}, link.ScaleError(err, s.o.Name, "SIR", s.o.Timeout, 0)
		}
		s.streaming = true
	}
	line, err := s.l.Latest(ctx, s.o.Timeout, splitLine)
	if err != nil {
		return scale.Reading{}, link.ScaleError(err, s.o.Name, "SIR", s.o.Timeout, s.l.Buffered())
	}
	r, err := Parse(line)
	if err != nil {
		return scale.Reading{}, scale.WithDevice(err, s.o.Name)
	}
	res, err := Interpret("SIR", r)
	return res.Reading, scale.WithDevice(err, s.o.Name)
}

// Zero sets zero (Z); the balance waits for a stable weight first. Errors: busy, upper_limit,
// lower_limit, timeout.
func (s *Scale) Zero(ctx context.Context) error {
	_, err := s.do(ctx, "Z", s.o.CommandTimeout)
	return err
}

// ZeroImmediately sets zero at once (ZI), stable or not; it reports whether the weight was
// stable.
func (s *Scale) ZeroImmediately(ctx context.Context) (stable bool, err error) {
	res, err := s.do(ctx, "ZI", s.o.CommandTimeout)
	return res.Stable, err
}

// Tare tares the weight on the platter (T).
func (s *Scale) Tare(ctx context.Context) error {
	_, err := s.TareWeight(ctx)
	return err
}

// TareWeight tares (T) and returns the tare the balance took.
func (s *Scale) TareWeight(ctx context.Context) (units.Mass, error) {
	res, err := s.do(ctx, "T", s.o.CommandTimeout)
	return res.Tare, err
}

// TareValue returns the tare stored in the balance (TA).
func (s *Scale) TareValue(ctx context.Context) (units.Mass, error) {
	res, err := s.do(ctx, "TA", s.o.CommandTimeout)
	return res.Tare, err
}

// PresetTare stores a known tare (TA <value> g) and returns the tare the balance reports. A
// value out of the balance's range is a parameter_error.
func (s *Scale) PresetTare(ctx context.Context, m units.Mass) (units.Mass, error) {
	if m < 0 {
		return 0, scale.NewError(s.o.Name, scale.CodeParameter, fmt.Sprintf("preset tare %v is negative", m))
	}
	res, err := s.do(ctx, "TA "+FormatGrams(m)+" g", s.o.CommandTimeout)
	return res.Tare, err
}

// SerialNumber returns the balance's serial number (I4).
func (s *Scale) SerialNumber(ctx context.Context) (string, error) {
	res, err := s.do(ctx, "I4", s.o.CommandTimeout)
	return res.Text, err
}

// Identity returns the balance data (I2): type, capacity and unit, as the balance words them.
func (s *Scale) Identity(ctx context.Context) (string, error) {
	res, err := s.do(ctx, "I2", s.o.CommandTimeout)
	return res.Text, err
}

// Reset cancels pending commands and returns the balance to its switch-on state without a new
// zero (@); it returns the serial number the balance answers with.
func (s *Scale) Reset(ctx context.Context) (string, error) {
	res, err := s.do(ctx, "@", s.o.CommandTimeout)
	return res.Text, err
}

// Command sends a raw command line (without CR LF) and returns the first line of the answer;
// general errors (ES, ET, EL) are returned as errors.
func (s *Scale) Command(ctx context.Context, cmd string) (Response, error) {
	r, err := s.exchange(ctx, cmd, "", s.o.CommandTimeout)
	if err != nil {
		return r, err
	}
	if r.ID == "ES" || r.ID == "ET" || r.ID == "EL" {
		_, err = Interpret(cmd, r)
	}
	return r, scale.WithDevice(err, s.o.Name)
}

func (s *Scale) do(ctx context.Context, cmd string, timeout time.Duration) (Result, error) {
	r, err := s.exchange(ctx, cmd, ReplyID(cmd), timeout)
	if err != nil {
		return Result{}, err
	}
	res, err := Interpret(cmd, r)
	return res, scale.WithDevice(err, s.o.Name)
}

// exchange sends cmd and returns the first answer line with identifier want (any line when want
// is ""), or a general error line. Lines answering something else (a late answer to an earlier
// command, the SIR stream) are skipped.
func (s *Scale) exchange(ctx context.Context, cmd, want string, timeout time.Duration) (Response, error) {
	if err := s.l.Lock(ctx); err != nil {
		return Response{}, fmt.Errorf("%s: %w", s.o.Name, err)
	}
	defer s.l.Unlock()
	s.streaming = false
	s.l.Discard()
	if err := s.l.Write([]byte(cmd + "\r\n")); err != nil {
		return Response{}, link.ScaleError(err, s.o.Name, cmd, timeout, 0)
	}
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return Response{}, link.ScaleError(link.ErrTimeout, s.o.Name, cmd, timeout, s.l.Buffered())
		}
		line, err := s.l.Next(ctx, left, splitLine)
		if err != nil {
			return Response{}, link.ScaleError(err, s.o.Name, cmd, timeout, s.l.Buffered())
		}
		r, err := Parse(line)
		if err != nil {
			return r, scale.WithDevice(err, s.o.Name)
		}
		if want == "" || r.ID == want || r.ID == "ES" || r.ID == "ET" || r.ID == "EL" {
			return r, nil
		}
	}
}

// Halt stops a running SIR stream (by sending SI, which ends it, §4.1 SIR).
func (s *Scale) Halt() error {
	if err := s.l.Lock(context.Background()); err != nil {
		return err
	}
	defer s.l.Unlock()
	if !s.streaming {
		return nil
	}
	s.streaming = false
	return link.ScaleError(s.l.Write([]byte("SI\r\n")), s.o.Name, "SI", 0, 0)
}

// Close releases the port if the Scale opened it and unblocks a pending Read with ErrClosed.
func (s *Scale) Close() error { return s.l.Close() }

// maxLine bounds a response line; a longer run without LF is returned as a line and fails Parse.
const maxLine = 256

// splitLine frames CR LF lines (§3.1; a bare LF is accepted too). Blank lines are dropped.
func splitLine(data []byte) (int, []byte) {
	for i, c := range data {
		if c == '\n' {
			line := data[:i]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			if len(line) == 0 {
				return i + 1, nil
			}
			return i + 1, line
		}
		if i >= maxLine {
			return i, data[:i]
		}
	}
	return 0, nil
}

// FormatGrams writes m in grams with two decimals, or three when the milligrams need them:
// 250 g is "250.00", 12.345 g "12.345".
func FormatGrams(m units.Mass) string {
	neg := m < 0
	if neg {
		m = -m
	}
	g, mg := int64(m/units.Gram), int64(m%units.Gram)
	s := fmt.Sprintf("%d.%03d", g, mg)
	if mg%10 == 0 {
		s = s[:len(s)-1]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Registration.

var serialLine = link.Line{DataBits: 8, Parity: "none", StopBits: "1"}

// Option keys of the mt-sics driver, beyond port, baud and the line settings.
const (
	OptCommand        = "command"
	OptCommandTimeout = "command_timeout_ms"
)

func init() {
	opts := append(serialLine.Options(),
		devices.Option{Key: OptCommand, Type: "string", Default: "SI",
			Doc: "weight request: SI (immediate, shows motion), S (waits for stability) or SIR (repeat, read as a stream)"},
		link.TimeoutOption(DefaultTimeout, "the answer to a weight request"),
		devices.Option{Key: OptCommandTimeout, Type: "int", Default: "10000",
			Doc: "milliseconds to wait for the answer to zero, tare and identification (the balance waits for stability first), 100 to 120000"},
	)
	scale.Register("mt-sics", scale.Driver{
		Doc:      "METTLER TOLEDO balances and terminals speaking MT-SICS level 0/1 (RS-232 or USB virtual COM port)",
		Port:     true,
		Options:  opts,
		Validate: validate,
		Open:     open,
		Defaults: scale.Defaults{
			Poll:       100 * time.Millisecond,
			Stability:  scale.Stability{Count: 3, Delta: 2 * units.Gram, Window: 300 * time.Millisecond},
			FaultAfter: 2,
		},
	})
}

func validate(s devices.Spec) []devices.FieldError {
	errs := serialLine.Validate(s)
	errs = append(errs, link.OneOf(s, OptCommand, "SI", "S", "SIR")...)
	errs = append(errs, link.IntRange(s, link.TimeoutKey, 10, 60000)...)
	errs = append(errs, link.IntRange(s, OptCommandTimeout, 100, 120000)...)
	return errs
}

func open(_ context.Context, s devices.Spec, env devices.Env) (scale.Scale, error) {
	p, err := serialLine.Open(s)
	if err != nil {
		return nil, err
	}
	o := Options{
		Name:           s.Where(),
		Command:        strings.ToUpper(s.StringOpt(OptCommand, "SI")),
		Timeout:        link.Timeout(s, DefaultTimeout),
		CommandTimeout: time.Duration(s.IntOpt(OptCommandTimeout, int(DefaultCommandTimeout/time.Millisecond))) * time.Millisecond,
	}
	env.Logger().Debug("scale opened", "device", o.Name, "protocol", "mt-sics", "command", o.Command)
	return newScale(p, p, o), nil
}

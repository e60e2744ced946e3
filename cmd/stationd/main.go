// Command stationd is the warehouse station agent: it drives the station's scanners, scales,
// label printers and lights, checks the work locally, and reports every event to the order
// management system over MQTT through a durable outbox.
//
//	stationd run --config FILE    the daemon
//	stationd check-config FILE    validate a config: every problem as FILE:LINE: key: message
//	stationd demo                 a self-contained demonstration on simulated devices
//	stationd sheet                the returns station's barcode sheet, as ZPL
//	stationd version              version, commit, Go version, GOOS/GOARCH
//
// main only delegates to Main so that tests run the whole program in-process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/returns"
	"github.com/stationd/stationd/agent/station"
)

// Set by the linker (scripts/crossbuild).
var (
	version = "dev"
	commit  = "unknown"
)

func main() {
	os.Exit(Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  stationd run --config FILE    run the station agent
  stationd check-config FILE    check a config file and report every problem
  stationd demo                 run a demonstration on simulated devices (no hardware, no network)
  stationd sheet [--config FILE] [--dpi N] [--lang en|fr]
                                print the returns barcode sheet (ZPL) on stdout
  stationd version              print the version
`

// Main runs stationd with args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return cmdRun(ctx, args[1:], stderr)
	case "check-config":
		return cmdCheckConfig(args[1:], stdout, stderr)
	case "demo":
		return cmdDemo(ctx, args[1:], stdout, stderr)
	case "sheet":
		return cmdSheet(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, versionString())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "stationd: unknown command %q\n%s", args[0], usage)
	return 2
}

func versionString() string {
	return fmt.Sprintf("stationd %s (commit %s) %s %s/%s", version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func cmdCheckConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprint(stderr, "usage: stationd check-config FILE\n")
		return 2
	}
	cfg, err := config.Load(args[0])
	if err != nil {
		printConfigErrors(stderr, err, false)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok (site %s, station %s, %d devices)\n", args[0], cfg.Site, cfg.Station, len(cfg.Devices))
	return 0
}

// printConfigErrors writes one line per problem; with first, only the first and a hint.
func printConfigErrors(w io.Writer, err error, first bool) {
	var errs config.Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		fmt.Fprintf(w, "stationd: %v\n", err)
		return
	}
	if first {
		fmt.Fprintf(w, "stationd: %s\n", errs[0])
		if len(errs) > 1 {
			fmt.Fprintf(w, "stationd: and %d more problems: run stationd check-config %s\n", len(errs)-1, errs[0].File)
		}
		return
	}
	for _, p := range errs {
		fmt.Fprintln(w, p.String())
	}
}

func cmdRun(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "/etc/stationd/station.yaml", "config file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := config.Load(*path)
	if err != nil {
		printConfigErrors(stderr, err, true)
		return 1
	}
	log, level := newLogger(stderr, cfg)
	st, err := station.New(station.Options{Config: cfg, Version: version, Logger: log})
	if err != nil {
		fmt.Fprintf(stderr, "stationd: %v\n", err)
		return 1
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	for {
		select {
		case err := <-done:
			if err != nil {
				fmt.Fprintf(stderr, "stationd: %v\n", err)
				return 1
			}
			return 0
		case <-hup:
			next, err := config.Load(*path)
			if err != nil {
				log.Error("config reload refused, the running config stays: " + err.Error())
				continue
			}
			level.Set(next.Log.Level)
			st.Reload(next)
		case <-ctx.Done():
			// Contract: exit 0 within 5 s of SIGTERM. Run stops its parts in order; should one
			// hang, exit anyway: the store is crash-safe.
			select {
			case err := <-done:
				if err != nil {
					fmt.Fprintf(stderr, "stationd: %v\n", err)
					return 1
				}
				return 0
			case <-time.After(4500 * time.Millisecond):
				log.Error("shutdown took longer than 4.5 s; exiting anyway (the outbox is crash-safe)")
				return 0
			}
		}
	}
}

// newLogger returns the daemon's logger and its level, which a reload may change.
func newLogger(w io.Writer, cfg *config.Config) (*slog.Logger, *slog.LevelVar) {
	level := new(slog.LevelVar)
	level.Set(cfg.Log.Level)
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), level
	}
	return slog.New(slog.NewTextHandler(w, opts)), level
}

// cmdSheet prints the returns station's barcode sheet (reasons, conditions, controls and the
// config's box ids) as ZPL on stdout: `stationd sheet --config FILE | nc printer 9100`.
func cmdSheet(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sheet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "config file: its pack.boxes and pack.language (optional)")
	dpi := fs.Int("dpi", 203, "printer resolution: 203, 300 or 600")
	lang := fs.String("lang", "", "language of the sheet: en or fr (default: pack.language, else en)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var boxes []string
	if *path != "" {
		cfg, err := config.Load(*path)
		if err != nil {
			printConfigErrors(stderr, err, false)
			return 1
		}
		for _, b := range cfg.Pack.Boxes {
			boxes = append(boxes, b.ID)
		}
		if *lang == "" {
			*lang = cfg.Pack.Language
		}
	}
	zpl, err := returns.Sheet(*dpi, *lang, boxes)
	if err != nil {
		fmt.Fprintf(stderr, "stationd sheet: %v\n", err)
		return 1
	}
	stdout.Write(zpl)
	return 0
}

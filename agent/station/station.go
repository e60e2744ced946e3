// Package station is the whole stationd runtime wired together: the durable store, the MQTT
// uplink, the command intake, the device supervisor and the workflows. cmd/stationd builds a
// Station from a checked config and runs it; the demo and the end-to-end tests do the same with
// simulated devices, so they exercise the production wiring.
//
// Lifecycle: Run opens the store, starts every part and returns only after all of them have
// ended. On ctx done the devices, workflows and intake stop first (an append in progress
// completes: appends never see the cancellation), then the uplink settles what is in flight and
// publishes the offline status, then the store is closed.
package station

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/intake"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/agent/supervisor"
	"github.com/stationd/stationd/agent/uplink"
	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/protocol"
)

// DBFile is the store's file name inside storage.dir.
const DBFile = "stationd.db"

// Options configures a Station.
type Options struct {
	Config  *config.Config
	Version string
	Logger  *slog.Logger
	// Env is handed to every driver: the demo and tests set Attach to reach the simulators.
	Env devices.Env
	Now func() time.Time
	// Ready, when set, is called once the store is open and every part has started.
	Ready func(*Station)
}

// Station is a running station.
type Station struct {
	opts    Options
	log     *slog.Logger
	cfg     atomic.Pointer[config.Config]
	started time.Time

	password string
	up       *uplink.Uplink
	store    *outbox.Store
	sup      *supervisor.Supervisor
	in       *intake.Intake
	hub      *hub

	alarmMu    sync.Mutex
	alarmSince time.Time
	alarm      atomic.Bool
}

// New prepares a Station from a checked config: it reads the secrets and the TLS files, so that
// a mistake there fails before anything is opened. It touches no device and no store.
func New(o Options) (*Station, error) {
	if o.Config == nil {
		return nil, errors.New("station: no config")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Env.Log == nil {
		o.Env.Log = o.Logger
	}
	s := &Station{opts: o, log: o.Logger, started: o.Now()}
	s.cfg.Store(o.Config)
	cfg := o.Config
	if cfg.MQTT.PasswordFile != "" {
		pw, warn, err := config.ReadSecret(cfg.MQTT.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("%s: mqtt.password_file: %w", cfg.File, err)
		}
		if warn != "" {
			s.log.Warn("mqtt.password_file: " + warn)
		}
		s.password = pw
	}
	tlsCfg, err := s.tlsConfig()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.File, err)
	}
	topics, err := protocol.NewTopics(cfg.MQTT.TopicPrefix, cfg.Site, cfg.Station)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.File, err)
	}
	will, _ := protocol.Offline{Reason: protocol.OfflineLost}.Payload()
	bye, _ := protocol.Offline{Reason: protocol.OfflineShutdown}.Payload()
	up, err := uplink.New(uplink.Config{
		Broker:        cfg.MQTT.Broker,
		ClientID:      cfg.ClientID(),
		Username:      cfg.MQTT.Username,
		Password:      s.password,
		TLS:           tlsCfg,
		KeepAlive:     cfg.MQTT.Keepalive,
		Window:        cfg.MQTT.Window,
		ReconnectMax:  cfg.MQTT.ReconnectMax,
		StatusTopic:   topics.Status(),
		EventTopic:    topics.Event,
		CommandFilter: topics.CommandFilter(),
		Birth:         s.birth,
		Will:          will,
		Shutdown:      bye,
		Logger:        s.log,
	}, storeSource{s})
	if err != nil {
		return nil, err
	}
	s.up = up
	return s, nil
}

func (s *Station) tlsConfig() (*tls.Config, error) {
	c := s.cfg.Load()
	t := c.MQTT.TLS
	switch {
	case t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != "":
	case hasScheme(c.MQTT.Broker, "ssl", "wss"): // the config allows tcp, ssl, ws and wss
	default:
		return nil, nil
	}
	return uplink.TLSConfig(t.CAFile, t.CertFile, t.KeyFile, t.ServerName)
}

// Config returns the config in force (it changes on Reload).
func (s *Station) Config() *config.Config { return s.cfg.Load() }

// Run runs the station until ctx is done. It returns an error only when the station cannot start
// (storage); everything else is retried and reported.
func (s *Station) Run(ctx context.Context) error {
	cfg := s.cfg.Load()
	if err := os.MkdirAll(cfg.Storage.Dir, 0o750); err != nil {
		return fmt.Errorf("storage.dir %s: %w: create it or give the stationd user write access", cfg.Storage.Dir, err)
	}
	path := filepath.Join(cfg.Storage.Dir, DBFile)
	store, err := outbox.Open(path, outbox.Options{
		Site: cfg.Site, Station: cfg.Station,
		MaxBytes: int64(cfg.Storage.MaxOutboxMB) * outbox.MiB,
		Logger:   s.log, Now: s.opts.Now,
		OnAlarm: s.onAlarm,
	})
	if err != nil {
		return fmt.Errorf("storage.dir: open %s: %w", path, err)
	}
	s.store = store
	defer store.Close()

	s.hub = newHub(s)
	s.in = intake.New(store, intake.Options{
		Roles: cfg.Roles, TTL: cfg.Storage.CommandTTL, Now: s.opts.Now, Logger: s.log,
		Refuse: s.alarm.Load,
	})
	s.sup = supervisor.New(s.hub.devices(cfg), supervisor.Options{
		Logger: s.log,
		OnChange: func(st protocol.DeviceStatus) {
			s.emitCritical(protocol.EventDeviceStatus, st)
			s.up.StatusChanged()
		},
	})
	workflows, err := s.hub.workflows(cfg)
	if err != nil {
		return err
	}
	for _, w := range workflows {
		w.Register(s.in)
	}

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	upCtx, stopUp := context.WithCancel(context.WithoutCancel(ctx))
	defer stopUp()
	defer stopWork()

	var work, upDone sync.WaitGroup
	upDone.Add(1)
	go func() {
		defer upDone.Done()
		s.up.Run(upCtx)
	}()
	msgs := make(chan intake.Message)
	work.Add(3 + len(workflows))
	go func() {
		defer work.Done()
		defer close(msgs)
		for {
			select {
			case <-workCtx.Done():
				return
			case c := <-s.up.Commands():
				select {
				case msgs <- intake.Message{Topic: c.Topic, Payload: c.Payload, Done: c.Done}:
				case <-workCtx.Done():
					return
				}
			}
		}
	}()
	go func() {
		defer work.Done()
		s.in.Run(workCtx, msgs)
	}()
	go func() {
		defer work.Done()
		s.sup.Run(workCtx)
	}()
	for _, w := range workflows {
		go func() {
			defer work.Done()
			if err := w.Run(workCtx); err != nil {
				s.log.Error("workflow stopped: "+err.Error(), "workflow", w.Name())
			}
		}()
	}
	s.log.Info("station running", "site", cfg.Site, "station", cfg.Station, "roles", cfg.Roles, "broker", cfg.MQTT.Broker, "storage", path)
	if s.opts.Ready != nil {
		s.opts.Ready(s)
	}

	<-ctx.Done()
	s.log.Info("stopping")
	stopWork()
	work.Wait()
	stopUp()
	upDone.Wait()
	s.log.Info("stopped", "last_seq", store.Stats().LastSeq, "unsent", store.Stats().Events)
	return nil
}

// Emit appends an event durably (agent.Emitter). The append is not cancelled by ctx once
// submitted: an event whose cause already happened is always written.
func (s *Station) Emit(ctx context.Context, eventType string, data any) error {
	return s.EmitAt(ctx, eventType, s.opts.Now(), data)
}

// EmitAt is Emit for an event that happened at a given time (a scale reading).
func (s *Station) EmitAt(ctx context.Context, eventType string, at time.Time, data any) error {
	_, err := s.store.Append(context.WithoutCancel(ctx), outbox.Event{
		Type: eventType, Time: at, Data: data, Telemetry: protocol.IsTelemetry(eventType),
	})
	return err
}

// emitCritical appends an event and logs a failure: for events that nothing waits on.
func (s *Station) emitCritical(eventType string, data any) {
	if err := s.Emit(context.Background(), eventType, data); err != nil {
		s.log.Error("event not recorded: "+err.Error(), "type", eventType)
	}
}

// Store returns the station's store (nil before Run).
func (s *Station) Store() *outbox.Store { return s.store }

// Uplink returns the station's uplink.
func (s *Station) Uplink() *uplink.Uplink { return s.up }

// Devices returns the device states.
func (s *Station) Devices() []protocol.DeviceState {
	if s.sup == nil {
		return nil
	}
	return s.sup.States()
}

// birth builds the retained status payload.
func (s *Station) birth() []byte {
	cfg := s.cfg.Load()
	b := protocol.Birth{
		Version:   s.opts.Version,
		StartedAt: protocol.NewTime(s.started),
		Roles:     cfg.Roles,
		Devices:   s.Devices(),
	}
	if s.store != nil {
		b.LastSeq = s.store.Stats().LastSeq
	}
	if s.alarm.Load() {
		s.alarmMu.Lock()
		since := s.alarmSince
		s.alarmMu.Unlock()
		b.Alarms = []protocol.Alarm{{
			Code:    protocol.AlarmOutboxFull,
			Message: "outbox nearly full of events the broker has not acknowledged: new work is refused; check the network and the broker",
			Since:   protocol.NewTime(since),
		}}
	}
	p, err := b.Payload()
	if err != nil {
		s.log.Error("birth payload: "+err.Error(), "hint", "a bug: please report it")
		p, _ = (protocol.Birth{Version: s.opts.Version, StartedAt: protocol.NewTime(s.started), Roles: cfg.Roles}).Payload()
	}
	return p
}

func (s *Station) onAlarm(full bool) {
	s.alarmMu.Lock()
	s.alarmSince = s.opts.Now()
	s.alarmMu.Unlock()
	s.alarm.Store(full)
	st := protocol.DeviceStatus{Device: "outbox", Kind: protocol.KindStorage, State: devices.StateOK}
	if full {
		st.State = devices.StateFault
		st.Detail = "outbox nearly full: the broker has not acknowledged events for a long time; new work is refused until it drains (check the network and the broker, or raise storage.max_outbox_mb)"
		s.log.Error(st.Detail)
	} else {
		s.log.Info("outbox drained below its alarm level: new work accepted again")
	}
	s.emitCritical(protocol.EventDeviceStatus, st)
	s.up.StatusChanged()
}

// Reload applies a new, already checked config: what can change live does, the rest is logged
// as needing a restart.
func (s *Station) Reload(next *config.Config) {
	live, restart := config.Diff(s.cfg.Load(), next)
	if len(live) == 0 && len(restart) == 0 {
		s.log.Info("config reloaded: nothing changed")
		return
	}
	s.cfg.Store(next)
	if s.hub != nil {
		s.hub.reload(next)
	}
	if len(live) > 0 {
		s.log.Info("config reloaded: applied live", "keys", live)
	}
	if len(restart) > 0 {
		s.log.Warn("config reloaded: these changes need a restart (systemctl restart stationd)", "keys", restart)
	}
}

func hasScheme(url string, schemes ...string) bool {
	for _, s := range schemes {
		if strings.HasPrefix(url, s+"://") {
			return true
		}
	}
	return false
}

// storeSource adapts the store to the uplink.
type storeSource struct{ s *Station }

func (a storeSource) Pending(after uint64, max int) ([]uplink.Event, error) {
	recs, err := a.s.store.Pending(after, max)
	if err != nil {
		return nil, err
	}
	out := make([]uplink.Event, len(recs))
	for i, r := range recs {
		out[i] = uplink.Event{Seq: r.Seq, Type: r.Type, Payload: r.Payload}
	}
	return out, nil
}
func (a storeSource) Ack(seqs ...uint64) error { return a.s.store.Ack(seqs...) }
func (a storeSource) Notify() <-chan struct{}  { return a.s.store.Notify() }

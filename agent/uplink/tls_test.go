package uplink

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stationd/stationd/agent/broker/mosquitto"
)

// pki is a throwaway certificate authority with a server and a client certificate.
type pki struct {
	dir                                string
	caFile, serverCert, serverKey      string
	clientCert, clientKey, otherCAFile string
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newCA(t *testing.T, dir, name string) (*x509.Certificate, *ecdsa.PrivateKey, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	path := filepath.Join(dir, name+".pem")
	writePEM(t, path, "CERTIFICATE", der)
	return cert, key, path
}

func issue(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, dir, name string, server bool) (certFile, keyFile string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	writePEM(t, certFile, "CERTIFICATE", der)
	kder, _ := x509.MarshalECPrivateKey(key)
	writePEM(t, keyFile, "EC PRIVATE KEY", kder)
	os.Chmod(keyFile, 0o644) // mosquitto drops to its own user and must read it
	return certFile, keyFile
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir, err := os.MkdirTemp("", "stationd-pki-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	ca, caKey, caFile := newCA(t, dir, "ca")
	_, _, other := newCA(t, dir, "other-ca")
	p := pki{dir: dir, caFile: caFile, otherCAFile: other}
	p.serverCert, p.serverKey = issue(t, ca, caKey, dir, "server", true)
	p.clientCert, p.clientKey = issue(t, ca, caKey, dir, "station", false)
	return p
}

func tlsBroker(t *testing.T, p pki, requireClientCert bool) *mosquitto.Broker {
	extra := []string{"cafile " + p.caFile, "certfile " + p.serverCert, "keyfile " + p.serverKey}
	if requireClientCert {
		extra = append(extra, "require_certificate true")
	}
	return mosquitto.Start(t, mosquitto.Options{Extra: extra})
}

// connectErr runs an uplink until it connects or reports a connection error.
func connectErr(t *testing.T, url string, cfgTLS func() (*Config, error)) (connected bool, lastErr string) {
	t.Helper()
	c, err := cfgTLS()
	if err != nil {
		t.Fatal(err)
	}
	c.Broker = url
	u, err := New(*c, newMemSource())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { u.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if u.Connected() {
			return true, ""
		}
		if e := u.Stats().LastConnErr; e != "" {
			return false, e
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("neither connected nor failed within 10 s")
	return false, ""
}

func baseConfig() *Config {
	return &Config{
		ClientID: "T-s1", StatusTopic: "wh/v1/T/s1/status", CommandFilter: "wh/v1/T/s1/cmd/+",
		EventTopic:   func(typ string) string { return "wh/v1/T/s1/evt/" + typ },
		ReconnectMin: 50 * time.Millisecond, ReconnectMax: 100 * time.Millisecond,
	}
}

func TestTLSVerification(t *testing.T) {
	p := newPKI(t)
	b := tlsBroker(t, p, false)
	url := b.URL("ssl")

	t.Run("system roots refuse a private CA", func(t *testing.T) {
		ok, e := connectErr(t, url, func() (*Config, error) {
			c := baseConfig()
			tc, err := TLSConfig("", "", "", "")
			c.TLS = tc
			return c, err
		})
		if ok || !strings.Contains(e, "mqtt.tls.ca_file") {
			t.Errorf("connected=%v err=%q, want a refusal naming mqtt.tls.ca_file", ok, e)
		}
	})
	t.Run("another CA is refused", func(t *testing.T) {
		ok, e := connectErr(t, url, func() (*Config, error) {
			c := baseConfig()
			tc, err := TLSConfig(p.otherCAFile, "", "", "")
			c.TLS = tc
			return c, err
		})
		if ok || !strings.Contains(e, "certificate") {
			t.Errorf("connected=%v err=%q", ok, e)
		}
	})
	t.Run("wrong server name is refused", func(t *testing.T) {
		ok, e := connectErr(t, url, func() (*Config, error) {
			c := baseConfig()
			tc, err := TLSConfig(p.caFile, "", "", "broker.example")
			c.TLS = tc
			return c, err
		})
		if ok || !strings.Contains(e, "server_name") {
			t.Errorf("connected=%v err=%q", ok, e)
		}
	})
	t.Run("the right CA connects", func(t *testing.T) {
		ok, e := connectErr(t, url, func() (*Config, error) {
			c := baseConfig()
			tc, err := TLSConfig(p.caFile, "", "", "")
			c.TLS = tc
			return c, err
		})
		if !ok {
			t.Errorf("not connected: %s", e)
		}
	})
}

func TestMutualTLS(t *testing.T) {
	p := newPKI(t)
	b := tlsBroker(t, p, true)
	url := b.URL("ssl")
	ok, _ := connectErr(t, url, func() (*Config, error) {
		c := baseConfig()
		tc, err := TLSConfig(p.caFile, "", "", "")
		c.TLS = tc
		return c, err
	})
	if ok {
		t.Error("connected without a client certificate to a broker that requires one")
	}
	ok, e := connectErr(t, url, func() (*Config, error) {
		c := baseConfig()
		tc, err := TLSConfig(p.caFile, p.clientCert, p.clientKey, "")
		c.TLS = tc
		return c, err
	})
	if !ok {
		t.Errorf("client certificate: not connected: %s", e)
	}
}

func TestTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := TLSConfig(filepath.Join(dir, "missing.pem"), "", "", ""); err == nil || !strings.Contains(err.Error(), "ca_file") {
		t.Errorf("missing CA: %v", err)
	}
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("not a pem"), 0o600)
	if _, err := TLSConfig(junk, "", "", ""); err == nil || !strings.Contains(err.Error(), "no PEM") {
		t.Errorf("junk CA: %v", err)
	}
	if _, err := TLSConfig("", junk, "", ""); err == nil || !strings.Contains(err.Error(), "go together") {
		t.Errorf("cert without key: %v", err)
	}
}

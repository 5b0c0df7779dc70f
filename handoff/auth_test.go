package handoff_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/collectagent/collectagent/handoff"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and returns
// the server's TLS config and the certificate's file (the client's CA).
func selfSigned(t *testing.T) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "nats-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, ca
}

func runServer(t *testing.T, opts *server.Options) string {
	t.Helper()
	opts.Host, opts.Port, opts.JetStream, opts.StoreDir, opts.NoSigs = "127.0.0.1", -1, true, t.TempDir(), true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return ns.ClientURL()
}

func connect(t *testing.T, cfg handoff.Config) error {
	t.Helper()
	cfg.ConnectTimeout = 2 * time.Second
	nc, err := handoff.Connect(context.Background(), cfg, nil, nil)
	if err != nil {
		return err
	}
	defer nc.Close()
	n, err := handoff.Open(context.Background(), nc, cfg, handoff.Deps{})
	if err != nil {
		return err
	}
	return n.Close()
}

// TestConnectUserPasswordTLS: a server that wants a user, a password and
// TLS turns away a node without them and takes one configured with them
// (issue 9.7).
func TestConnectUserPasswordTLS(t *testing.T) {
	tc, ca := selfSigned(t)
	url := runServer(t, &server.Options{Username: "collect", Password: "s3cret-pass", TLSConfig: tc, TLS: true})
	base := handoff.Config{URL: url, Prefix: "authtest"}
	for name, c := range map[string]handoff.Config{
		"no auth": func() handoff.Config { c := base; c.TLS.CAFile = ca; return c }(),
		"wrong password": func() handoff.Config {
			c := base
			c.TLS.CAFile = ca
			c.Auth.User, c.Auth.Password = "collect", "nope"
			return c
		}(),
		"unknown CA": func() handoff.Config {
			c := base
			c.TLS.Enabled = true
			c.Auth.User, c.Auth.Password = "collect", "s3cret-pass"
			return c
		}(),
	} {
		if err := connect(t, c); !errors.Is(err, handoff.ErrConnect) {
			t.Errorf("%s: %v, want ErrConnect", name, err)
		}
	}
	good := base
	good.TLS.CAFile = ca
	good.Auth.User, good.Auth.Password = "collect", "s3cret-pass"
	if err := connect(t, good); err != nil {
		t.Errorf("with user, password and CA: %v", err)
	}
}

// TestConnectNKey: a server that knows only an nkey's public key takes a
// node with the seed file.
func TestConnectNKey(t *testing.T) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	seedFile := filepath.Join(t.TempDir(), "user.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	url := runServer(t, &server.Options{Nkeys: []*server.NkeyUser{{Nkey: pub}}})
	if err := connect(t, handoff.Config{URL: url, Prefix: "nk"}); !errors.Is(err, handoff.ErrConnect) {
		t.Errorf("without the seed: %v, want ErrConnect", err)
	}
	c := handoff.Config{URL: url, Prefix: "nk"}
	c.Auth.NKeySeedFile = seedFile
	if err := connect(t, c); err != nil {
		t.Errorf("with the seed: %v", err)
	}
}

// TestEmbeddedServerWantsItsPassword: an embedded server that other
// nodes join requires the configured user and password; the node's own
// in-process connection uses them.
func TestEmbeddedServerWantsItsPassword(t *testing.T) {
	cfg := handoff.Config{Port: -1, StoreDir: t.TempDir(), Prefix: "emb"}
	cfg.Auth.User, cfg.Auth.Password = "node", "node-pass-1"
	sys, err := handoff.Start(context.Background(), cfg, handoff.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	if err := connect(t, handoff.Config{URL: sys.ClientURL(), Prefix: "emb"}); !errors.Is(err, handoff.ErrConnect) {
		t.Errorf("joining without the password: %v, want ErrConnect", err)
	}
	join := handoff.Config{URL: sys.ClientURL(), Prefix: "emb"}
	join.Auth = cfg.Auth
	if err := connect(t, join); err != nil {
		t.Errorf("joining with the password: %v", err)
	}
}

package kafka_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
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

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kds-io/kds/adapters/embedded"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/app/topic"
)

// startSecureBroker runs an embedded broker with SASL users and TLS as
// given, and returns a client configuration without credentials.
func startSecureBroker(t *testing.T, users []embedded.SASLUser, tc *tls.Config) kafka.Config {
	t.Helper()
	b, err := embedded.Start(embedded.Config{Addr: "127.0.0.1:0", Brokers: 1, SASL: users, TLS: tc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return kafkatest.Config(b.Addrs()...)
}

// brokerCount connects with c as the topic manager does and counts the
// brokers, with a deadline so that a refused connection cannot hang the
// test.
func brokerCount(t *testing.T, c kafka.Config) (int, error) {
	t.Helper()
	if err := c.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return newCluster(t, c).Brokers(ctx)
}

// roundTrip creates a topic, publishes a message with the Watermill
// publisher, the batch publisher, and reads both back with a subscriber,
// all with c's security settings.
func roundTrip(t *testing.T, c kafka.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := topic.MustParseName("secured")
	if err := createTopic(ctx, newCluster(t, c), name, topic.Spec{Partitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	pub, err := kafka.NewPublisher(c, "key", watermill.NopLogger{})
	if err != nil {
		t.Fatalf("publisher: %v", err)
	}
	defer pub.Close()
	if err := pub.Publish(name.String(), message.NewMessage(watermill.NewUUID(), []byte("one"))); err != nil {
		t.Fatalf("publish: %v", err)
	}
	batch, err := kafka.NewBatchPublisher(c, "key")
	if err != nil {
		t.Fatalf("batch publisher: %v", err)
	}
	defer batch.Close()
	if err := batch.Publish(name.String(), message.NewMessage(watermill.NewUUID(), []byte("two"))); err != nil {
		t.Fatalf("batch publish: %v", err)
	}
	sub, err := kafka.NewSubscriber(c, kafka.FromOldest, watermill.NopLogger{})
	if err != nil {
		t.Fatalf("subscriber: %v", err)
	}
	defer sub.Close()
	msgs, err := sub.Subscribe(ctx, name.String())
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	got := map[string]bool{}
	for len(got) < 2 {
		select {
		case m := <-msgs:
			got[string(m.Payload)] = true
			m.Ack()
		case <-ctx.Done():
			t.Fatalf("read %v of one and two", got)
		}
	}
}

// TestSASLMechanisms connects with each mechanism kds speaks: the right
// password gets in, a wrong one or the wrong mechanism is refused with an
// error that names the mechanism and the broker and never the password.
func TestSASLMechanisms(t *testing.T) {
	t.Parallel()
	for _, mech := range kafka.SASLMechanisms {
		t.Run(mech, func(t *testing.T) {
			t.Parallel()
			const user = "kds-svc"
			password := "Right-Pa55-" + mech
			c := startSecureBroker(t, []embedded.SASLUser{{Mechanism: mech, Username: user, Password: password}}, nil)

			t.Run("right password", func(t *testing.T) {
				ok := c
				ok.SASL = kafka.SASLConfig{Mechanism: strings.ToLower(mech), Username: user, Password: password}
				n, err := brokerCount(t, ok)
				if err != nil || n != 1 {
					t.Fatalf("brokers: %d, %v", n, err)
				}
				roundTrip(t, ok)
			})
			t.Run("no SASL", func(t *testing.T) {
				if _, err := brokerCount(t, c); err == nil {
					t.Fatal("a client without SASL got in")
				}
			})
			wrongMech := kafka.SASLScramSHA512
			if mech == kafka.SASLScramSHA512 {
				wrongMech = kafka.SASLPlain
			}
			for _, bad := range []kafka.SASLConfig{
				{Mechanism: mech, Username: user, Password: "Wrong-Pa55-" + mech},
				{Mechanism: mech, Username: "nobody", Password: password},
				{Mechanism: wrongMech, Username: user, Password: password},
			} {
				t.Run("refused "+bad.Mechanism+" "+bad.Username, func(t *testing.T) {
					wrong := c
					wrong.SASL = bad
					_, err := brokerCount(t, wrong)
					if err == nil {
						t.Fatal("got in")
					}
					msg := err.Error()
					t.Logf("error: %s", msg)
					for _, want := range []string{"SASL " + bad.Mechanism, c.Brokers[0], `"` + bad.Username + `"`, "kafka.sasl"} {
						if !strings.Contains(msg, want) {
							t.Errorf("error does not say %q: %s", want, msg)
						}
					}
					if strings.Contains(msg, bad.Password) || strings.Contains(msg, "Pa55") {
						t.Errorf("error shows a password: %s", msg)
					}
				})
			}
		})
	}
}

// testPKI is a CA with a broker certificate for 127.0.0.1 and a client
// certificate, as PEM files.
type testPKI struct {
	caFile, clientCert, clientKey string
	pool                          *x509.CertPool
	server                        tls.Certificate
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTemplate := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kds test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(serial int64, name string, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	}
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	p := testPKI{pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.caFile = write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	serverCert, serverKey := issue(2, "broker", x509.ExtKeyUsageServerAuth)
	if p.server, err = tls.X509KeyPair(serverCert, serverKey); err != nil {
		t.Fatal(err)
	}
	clientCert, clientKey := issue(3, "kds", x509.ExtKeyUsageClientAuth)
	p.clientCert, p.clientKey = write("client.pem", clientCert), write("client-key.pem", clientKey)
	return p
}

// TestTLS connects to a broker that speaks only TLS: with the test CA, with
// verification off, and not without the CA (the system's roots do not know
// it); with mutual TLS, only with the client certificate.
func TestTLS(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t)
	plain := startSecureBroker(t, nil, &tls.Config{Certificates: []tls.Certificate{pki.server}, MinVersion: tls.VersionTLS12})
	mutual := startSecureBroker(t, nil, &tls.Config{Certificates: []tls.Certificate{pki.server}, MinVersion: tls.VersionTLS12,
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pki.pool})
	cases := []struct {
		name   string
		broker kafka.Config
		tls    kafka.TLSConfig
		// fails is in the error when the connection must fail.
		fails string
	}{
		{name: "with the CA file", broker: plain, tls: kafka.TLSConfig{Enabled: true, CAFile: pki.caFile}},
		{name: "without a CA file", broker: plain, tls: kafka.TLSConfig{Enabled: true}, fails: "kafka.tls.ca_file"},
		{name: "skip verify", broker: plain, tls: kafka.TLSConfig{Enabled: true, InsecureSkipVerify: true}},
		{name: "no TLS", broker: plain, fails: "kafka.tls"},
		{name: "mutual with a client certificate", broker: mutual, tls: kafka.TLSConfig{Enabled: true, CAFile: pki.caFile, CertFile: pki.clientCert, KeyFile: pki.clientKey}},
		{name: "mutual without a client certificate", broker: mutual, tls: kafka.TLSConfig{Enabled: true, CAFile: pki.caFile}, fails: "certificate required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := c.broker
			cfg.TLS = c.tls
			n, err := brokerCount(t, cfg)
			if c.fails == "" {
				if err != nil || n != 1 {
					t.Fatalf("brokers: %d, %v", n, err)
				}
				return
			}
			if err == nil {
				t.Fatal("connected")
			}
			t.Logf("error: %s", err)
			if !strings.Contains(err.Error(), c.fails) || !strings.Contains(err.Error(), cfg.Brokers[0]) {
				t.Fatalf("error does not say %q and the broker: %v", c.fails, err)
			}
		})
	}

	t.Run("TLS and SCRAM together", func(t *testing.T) {
		t.Parallel()
		password := "Tls-And-Scram-Pa55"
		c := startSecureBroker(t, []embedded.SASLUser{{Mechanism: kafka.SASLScramSHA256, Username: "kds", Password: password}},
			&tls.Config{Certificates: []tls.Certificate{pki.server}, MinVersion: tls.VersionTLS12})
		c.TLS = kafka.TLSConfig{Enabled: true, CAFile: pki.caFile}
		c.SASL = kafka.SASLConfig{Mechanism: kafka.SASLScramSHA256, Username: "kds", Password: password}
		roundTrip(t, c)
	})
}

// TestSecurityConfigErrorsNameTheKey checks Validate's refusals of the
// kafka.tls and kafka.sasl keys, which never show the password.
func TestSecurityConfigErrorsNameTheKey(t *testing.T) {
	t.Parallel()
	const password = "Never-Sh0wn-Pa55"
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	cases := []struct {
		name string
		tls  kafka.TLSConfig
		sasl kafka.SASLConfig
		says []string
	}{
		{name: "missing CA file", tls: kafka.TLSConfig{Enabled: true, CAFile: missing}, says: []string{"kafka.tls.ca_file", missing, "no such file"}},
		{name: "CA file without a certificate", tls: kafka.TLSConfig{Enabled: true, CAFile: garbage}, says: []string{"kafka.tls.ca_file", garbage, "no PEM certificate"}},
		{name: "certificate without key", tls: kafka.TLSConfig{Enabled: true, CertFile: garbage}, says: []string{"kafka.tls.cert_file", "kafka.tls.key_file"}},
		{name: "key without certificate", tls: kafka.TLSConfig{Enabled: true, KeyFile: garbage}, says: []string{"kafka.tls.key_file", "kafka.tls.cert_file"}},
		{name: "unreadable key pair", tls: kafka.TLSConfig{Enabled: true, CertFile: garbage, KeyFile: missing}, says: []string{"kafka.tls.cert_file", garbage, missing}},
		{name: "TLS settings with TLS off", tls: kafka.TLSConfig{CAFile: garbage, InsecureSkipVerify: true}, says: []string{"kafka.tls.ca_file", "kafka.tls.insecure_skip_verify", "kafka.tls.enabled is false"}},
		{name: "unknown mechanism", sasl: kafka.SASLConfig{Mechanism: "GSSAPI", Username: "u", Password: password}, says: []string{"kafka.sasl.mechanism", "GSSAPI", "SCRAM-SHA-512"}},
		{name: "no user or password", sasl: kafka.SASLConfig{Mechanism: "PLAIN"}, says: []string{"kafka.sasl.username", "kafka.sasl.password"}},
		{name: "password without mechanism", sasl: kafka.SASLConfig{Password: password}, says: []string{"kafka.sasl.mechanism is empty"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := kafka.Config{Brokers: []string{"k:9092"}, DialTimeout: time.Second, RequestTimeout: time.Second, TLS: c.tls, SASL: c.sasl}
			err := cfg.Validate()
			if err == nil {
				t.Fatal("valid")
			}
			for _, s := range c.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error does not say %q: %v", s, err)
				}
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

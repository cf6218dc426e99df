package mysql_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
)

// selfSigned writes a self-signed certificate and its key as PEM files:
// good enough as a CA file and as a client certificate.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kds test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func validConfig() mysql.Config {
	return mysql.Config{Host: "db", Port: 3306, User: "kds", Password: "Secret-Db-Pa55", Database: "kds", MaxOpenConns: 1, ConnectTimeout: time.Second}
}

// TestTLSConfigErrorsNameTheKeyAndFile checks Validate's refusals of the
// TLS keys.
func TestTLSConfigErrorsNameTheKeyAndFile(t *testing.T) {
	t.Parallel()
	cert, key := selfSigned(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing-ca.pem")
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("no certificate here"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		set  func(*mysql.Config)
		says []string // nil: valid
	}{
		{name: "off", set: func(*mysql.Config) {}},
		{name: "every mode", set: func(c *mysql.Config) { c.TLS = "preferred" }},
		{name: "verify with a CA file", set: func(c *mysql.Config) { c.TLS, c.TLSCAFile = "true", cert }},
		{name: "client certificate", set: func(c *mysql.Config) { c.TLS, c.TLSCertFile, c.TLSKeyFile = "skip-verify", cert, key }},
		{name: "unknown mode", set: func(c *mysql.Config) { c.TLS = "custom" }, says: []string{"mysql.tls", `"custom"`}},
		{name: "missing CA file", set: func(c *mysql.Config) { c.TLS, c.TLSCAFile = "true", missing }, says: []string{"mysql.tls_ca_file", missing, "no such file"}},
		{name: "CA file without a certificate", set: func(c *mysql.Config) { c.TLS, c.TLSCAFile = "true", garbage }, says: []string{"mysql.tls_ca_file", garbage, "no PEM certificate"}},
		{name: "CA file with TLS off", set: func(c *mysql.Config) { c.TLSCAFile = cert }, says: []string{"mysql.tls_ca_file", `mysql.tls is ""`}},
		{name: "CA file with skip-verify", set: func(c *mysql.Config) { c.TLS, c.TLSCAFile = "skip-verify", cert }, says: []string{"mysql.tls_ca_file", "skip-verify"}},
		{name: "certificate without key", set: func(c *mysql.Config) { c.TLS, c.TLSCertFile = "true", cert }, says: []string{"mysql.tls_cert_file", "mysql.tls_key_file"}},
		{name: "unreadable key", set: func(c *mysql.Config) { c.TLS, c.TLSCertFile, c.TLSKeyFile = "true", cert, missing }, says: []string{"mysql.tls_key_file", missing}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := validConfig()
			c.set(&cfg)
			err := cfg.Validate()
			if c.says == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("valid")
			}
			for _, s := range c.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error does not say %q: %v", s, err)
				}
			}
			if strings.Contains(err.Error(), cfg.Password) {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}

	t.Run("Open reports it before connecting", func(t *testing.T) {
		t.Parallel()
		cfg := validConfig()
		cfg.TLS, cfg.TLSCAFile = "true", missing
		_, err := mysql.Open(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), "mysql.tls_ca_file") || !strings.Contains(err.Error(), missing) {
			t.Fatalf("Open: %v, want an error naming mysql.tls_ca_file and %s", err, missing)
		}
	})
}

// TestTLSIsUsed connects to the test server with the TLS keys. A server
// without TLS (as the local MariaDB of the tests usually is) refuses
// verified TLS, which shows that the CA file's configuration is the one in
// use; "preferred" falls back to plain text even with a client
// certificate. A server with TLS cannot be verified with a CA that did not
// sign its certificate.
func TestTLSIsUsed(t *testing.T) {
	t.Parallel()
	server := mysqltest.NewConfig(t)
	ctx := context.Background()
	cert, key := selfSigned(t)

	verified := server
	verified.TLS, verified.TLSCAFile = "true", cert
	db, err := mysql.Open(ctx, verified)
	if err == nil {
		db.Close()
		t.Fatal("connected with verified TLS to a server whose certificate the test CA did not sign")
	}
	t.Logf("verified TLS: %v", err)
	var unknownCA x509.UnknownAuthorityError
	if !errors.Is(err, driver.ErrNoTLS) && !errors.As(err, &unknownCA) && !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("verified TLS: %v, want the server's lack of TLS or a certificate it cannot verify", err)
	}
	if !strings.Contains(err.Error(), server.Where()) {
		t.Errorf("error does not say where: %v", err)
	}

	preferred := server
	preferred.TLS, preferred.TLSCertFile, preferred.TLSKeyFile = "preferred", cert, key
	db, err = mysql.Open(ctx, preferred)
	if err != nil {
		t.Fatalf("preferred TLS with a client certificate: %v", err)
	}
	defer db.Close()
	if err := mysql.Migrate(ctx, db, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrate over preferred TLS: %v", err)
	}
}

// TestReadSchemaVersion reads the version of an empty database, which it
// leaves empty, and of a migrated one.
func TestReadSchemaVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := mysqltest.NewConfig(t)
	db, err := mysql.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, err := mysql.ReadSchemaVersion(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if v.Current != 0 || v.Latest < 2 {
		t.Fatalf("empty database: %+v, want current 0 and latest at least 2", v)
	}
	var tables int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()").Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("reading the version created %d tables (%v)", tables, err)
	}
	if err := mysql.Migrate(ctx, db, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	after, err := mysql.ReadSchemaVersion(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if after.Current != v.Latest || after.Latest != v.Latest {
		t.Fatalf("migrated database: %+v, want current = latest = %d", after, v.Latest)
	}
}

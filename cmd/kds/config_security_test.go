package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConfigSecurityKeys loads the TLS, SASL and failed-authentication
// keys from a file and the environment, and checks that their mistakes
// name the key (and the file a key names) and never show a password.
func TestConfigSecurityKeys(t *testing.T) {
	const password = "Sasl-Never-Sh0wn"
	newKey, oldKey := base64.StdEncoding.EncodeToString([]byte("Message-Key-Never-Sh0wn-32-bytes")), base64.StdEncoding.EncodeToString([]byte("Old-Message-Key-Never-Sh0wn-32by"))
	t.Run("loaded", func(t *testing.T) {
		isolateEnv(t)
		path := writeConfig(t, `
kafka:
  tls:
    enabled: true
    insecure_skip_verify: true
  sasl:
    mechanism: SCRAM-SHA-512
    username: kds
mysql:
  tls: preferred
auth:
  max_failures: 3
  lockout: 5m
server:
  secure_cookies: true
`)
		t.Setenv("KDS_KAFKA_SASL_PASSWORD", password)
		t.Setenv("KDS_AUTH_FAILURE_WINDOW", "30s")
		t.Setenv("KDS_SECURITY_MESSAGE_KEYS", "new:"+newKey+", old:"+oldKey)
		t.Setenv("KDS_AUTH_METRICS_TOKEN", "Scrape-Never-Sh0wn")
		t.Setenv("KDS_SERVER_ALLOWED_HOSTS", "kds.example, admin.internal")
		c, err := loadConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		k := c.kafka()
		if !k.TLS.Enabled || !k.TLS.InsecureSkipVerify || k.SASL.Mechanism != "SCRAM-SHA-512" || k.SASL.Username != "kds" || k.SASL.Password != password {
			t.Fatalf("kafka: TLS %+v, SASL %s as %s", k.TLS, k.SASL.Mechanism, k.SASL.Username)
		}
		if l := c.authLimit(); l.MaxFailures != 3 || l.Window != 30*time.Second || l.Lockout != 5*time.Minute {
			t.Fatalf("auth limit %+v", l)
		}
		if c.mysql().TLS != "preferred" {
			t.Fatalf("mysql.tls %q", c.mysql().TLS)
		}
		signer, err := c.signer()
		if err != nil {
			t.Fatal(err)
		}
		if !c.Server.SecureCookies || c.Auth.MetricsToken != "Scrape-Never-Sh0wn" || strings.Join(c.Server.AllowedHosts, " ") != "kds.example admin.internal" {
			t.Fatalf("server %+v, metrics token set %v", c.Server, c.Auth.MetricsToken != "")
		}
		// A configuration printed or logged by mistake shows no secret.
		c.MySQL.Password, c.Auth.BootstrapAdminToken = "Mysql-Never-Sh0wn", "Token-Never-Sh0wn"
		var logged bytes.Buffer
		slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "cfg", c, "kafka", c.kafka(), "mysql", c.mysql(), "signer", signer)
		for _, text := range []string{fmt.Sprintf("%v %+v %#v", c, c, c), fmt.Sprintf("%v %+v %#v", c.kafka(), c.kafka(), c.kafka()),
			fmt.Sprintf("%v %+v %#v", c.mysql(), c.mysql(), c.mysql()), fmt.Sprintf("%v %+v %#v", signer, signer, signer), logged.String()} {
			for _, secret := range []string{password, "Mysql-Never-Sh0wn", "Token-Never-Sh0wn", "Scrape-Never-Sh0wn", newKey, oldKey, newKey[:12]} {
				if strings.Contains(text, secret) {
					t.Errorf("printed configuration shows %q: %s", secret, text)
				}
			}
		}
	})

	missing := filepath.Join(t.TempDir(), "no-such-ca.pem")
	cases := []struct {
		name string
		yaml string
		says []string
	}{
		{name: "Kafka CA file missing", yaml: "kafka:\n  tls:\n    enabled: true\n    ca_file: " + missing + "\n", says: []string{"kafka.tls.ca_file", missing}},
		{name: "Kafka TLS key without TLS", yaml: "kafka:\n  tls:\n    cert_file: /x.pem\n", says: []string{"kafka.tls.cert_file", "kafka.tls.enabled is false"}},
		{name: "unknown SASL mechanism", yaml: "kafka:\n  sasl:\n    mechanism: OAUTHBEARER\n    username: u\n    password: " + password + "\n", says: []string{"kafka.sasl.mechanism", "OAUTHBEARER"}},
		{name: "SASL without password", yaml: "kafka:\n  sasl:\n    mechanism: PLAIN\n    username: u\n", says: []string{"kafka.sasl.password is empty"}},
		{name: "SASL password of the wrong type", yaml: "kafka:\n  sasl:\n    mechanism: PLAIN\n    username: u\n    password: [" + password + "]\n", says: []string{"kafka.sasl.password"}},
		{name: "MySQL CA file missing", yaml: "mysql:\n  tls: \"true\"\n  tls_ca_file: " + missing + "\n", says: []string{"mysql.tls_ca_file", missing}},
		{name: "MySQL CA file with TLS off", yaml: "mysql:\n  tls_ca_file: " + missing + "\n", says: []string{"mysql.tls_ca_file", "mysql.tls"}},
		{name: "unknown MySQL TLS mode", yaml: "mysql:\n  tls: always\n", says: []string{"mysql.tls", "always"}},
		{name: "negative failure limit", yaml: "auth:\n  max_failures: -1\n", says: []string{"auth.max_failures"}},
		{name: "failure limit without lockout", yaml: "auth:\n  lockout: 0s\n", says: []string{"auth.lockout"}},
		{name: "message key without an id", yaml: "security:\n  message_keys: [" + password + "]\n", says: []string{"security.message_keys entry 1: want ID:SECRET"}},
		{name: "short message key", yaml: "security:\n  message_keys: [\"k1:" + base64.StdEncoding.EncodeToString([]byte(password)) + "\"]\n",
			says: []string{`security.message_keys entry 1 (id "k1"): the secret has 16 bytes, want at least 32`}},
		{name: "an allowed host with a port", yaml: "server:\n  allowed_hosts: [\"kds.example:8080\"]\n", says: []string{"server.allowed_hosts", `"kds.example:8080"`}},
		{name: "an allowed host as a URL", yaml: "server:\n  allowed_hosts: [\"https://kds.example\"]\n", says: []string{"server.allowed_hosts", `"https://kds.example"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			isolateEnv(t)
			path := writeConfig(t, c.yaml)
			_, err := loadConfig(path)
			if err == nil {
				t.Fatalf("loaded:\n%s", c.yaml)
			}
			for _, s := range append(c.says, path) {
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

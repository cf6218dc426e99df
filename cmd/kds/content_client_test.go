package main

import (
	"context"
	"strings"
	"testing"

	"github.com/kds-io/kds/adapters/kafka"
)

// TestContentCommandsReadKafkaSecurityFromTheEnvironment checks that the
// content commands' Kafka settings take TLS and SASL from the variables
// kds serve reads, and that their mistakes name the key without the
// password.
func TestContentCommandsReadKafkaSecurityFromTheEnvironment(t *testing.T) {
	isolateEnv(t)
	const password = "Env-Sasl-Pa55"
	t.Setenv("KDS_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
	t.Setenv("KDS_KAFKA_SASL_USERNAME", "producer-7")
	t.Setenv("KDS_KAFKA_SASL_PASSWORD", password)
	t.Setenv("KDS_KAFKA_TLS_ENABLED", "true")
	t.Setenv("KDS_KAFKA_TLS_INSECURE_SKIP_VERIFY", "1")
	flags := kafkaFlags{brokers: []string{"k1:9093"}}
	c, err := flags.config(context.Background(), &globals{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := kafka.SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "producer-7", Password: password}
	if c.SASL != want || !c.TLS.Enabled || !c.TLS.InsecureSkipVerify || c.TLS.CAFile != "" {
		t.Fatalf("got TLS %+v, SASL mechanism %q user %q", c.TLS, c.SASL.Mechanism, c.SASL.Username)
	}
	if !strings.Contains(c.Where(), `SASL SCRAM-SHA-512 as "producer-7", TLS`) || strings.Contains(c.Where(), password) {
		t.Fatalf("Where: %s", c.Where())
	}

	t.Setenv("KDS_KAFKA_TLS_ENABLED", "yes please")
	if _, err := flags.config(context.Background(), &globals{}, nil); err == nil || !strings.Contains(err.Error(), "kafka.tls.enabled") {
		t.Fatalf("bad boolean: %v, want an error naming kafka.tls.enabled", err)
	}
	t.Setenv("KDS_KAFKA_TLS_ENABLED", "true")
	t.Setenv("KDS_KAFKA_TLS_CA_FILE", "/nonexistent/ca.pem")
	t.Setenv("KDS_KAFKA_SASL_MECHANISM", "KERBEROS")
	_, err = flags.config(context.Background(), &globals{}, nil)
	if err == nil || !strings.Contains(err.Error(), "kafka.tls.ca_file /nonexistent/ca.pem") || !strings.Contains(err.Error(), "kafka.sasl.mechanism") {
		t.Fatalf("bad settings: %v, want errors naming kafka.tls.ca_file and kafka.sasl.mechanism", err)
	}
	if strings.Contains(err.Error(), password) {
		t.Fatalf("error shows the password: %v", err)
	}
}

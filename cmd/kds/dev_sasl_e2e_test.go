package main_test

import (
	"regexp"
	"testing"
)

// TestDevTakesTheSASLMechanismInAnyCase: kds dev's embedded broker takes a
// mechanism written in lower case, as every kds client does.
func TestDevTakesTheSASLMechanismInAnyCase(t *testing.T) {
	t.Parallel()
	sasl := []string{"KDS_KAFKA_SASL_MECHANISM=scram-sha-256", "KDS_KAFKA_SASL_USERNAME=kds", "KDS_KAFKA_SASL_PASSWORD=Dev-Sasl-Pa55"}
	d := startDev(t, devOptions{env: sasl})
	d.activeTopic(t, "lower", 1)
	r := runKds(t, t.TempDir(), append([]string{"KDS_API_URL=" + d.APIURL, "KDS_TOKEN=" + d.AdminToken}, sasl...), "", "send", "lower", "hello")
	if r.Code != 0 {
		t.Fatalf("send over SASL\n%s", r)
	}
}

// TestDevKeepsTheSASLPasswordItMadeUp: the SASL password kds dev makes up
// is kept with its state, so the export line of the first start still
// lets clients in after a restart.
func TestDevKeepsTheSASLPasswordItMadeUp(t *testing.T) {
	t.Parallel()
	saslLine := regexp.MustCompile(`export (KDS_KAFKA_SASL_MECHANISM=\S+) (KDS_KAFKA_SASL_USERNAME=\S+) (KDS_KAFKA_SASL_PASSWORD=\S+)\n`)
	d := startDev(t, devOptions{args: []string{"--kafka-sasl", "SCRAM-SHA-512"}})
	first := saslLine.FindStringSubmatch(d.stdout.String())
	if first == nil {
		t.Fatalf("kds dev did not print the SASL settings:\n%s", d.stdout)
	}
	d.activeTopic(t, "sasl_kept", 1)
	d.restart(t)
	if again := saslLine.FindStringSubmatch(d.stdout.String()); again == nil || again[3] != first[3] {
		t.Fatalf("after a restart kds dev printed %q, want the password of its first start, %q", again, first[3])
	}
	r := runKds(t, t.TempDir(), append([]string{"KDS_API_URL=" + d.APIURL, "KDS_TOKEN=" + d.AdminToken}, first[1:]...), "", "send", "sasl_kept", "hello")
	if r.Code != 0 {
		t.Fatalf("send over SASL with the first start's password\n%s", r)
	}
}

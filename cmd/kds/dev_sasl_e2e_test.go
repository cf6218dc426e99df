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
// for its own Kafka user is kept with its state, and after a restart the
// clients, which log in with their tokens' own credentials, still get in.
func TestDevKeepsTheSASLPasswordItMadeUp(t *testing.T) {
	t.Parallel()
	ownUser := regexp.MustCompile(`kds's own Kafka user.*: SCRAM-SHA-512 kds, password (\S+)\n`)
	d := startDev(t, devOptions{args: []string{"--kafka-sasl", "SCRAM-SHA-512"}})
	// kds dev prints it after the export line, which says it is ready.
	printed := func() string {
		var m []string
		eventually(t, "kds dev's own Kafka user printed", func() (bool, string) {
			m = ownUser.FindStringSubmatch(d.stdout.String())
			return m != nil, d.stdout.String()
		})
		return m[1]
	}
	first := printed()
	writer := d.createToken(t, "writer", "producer")
	if r := d.kdsAs(t, writer, "topic", "request", "sasl_kept", "-p", "1"); r.Code != 0 {
		t.Fatalf("request as a producer\n%s", r)
	}
	d.mustKds(t, "topic", "approve", "sasl_kept")
	d.restart(t)
	if again := printed(); again != first {
		t.Fatalf("after a restart kds dev printed the password %q, want the one of its first start, %q", again, first)
	}
	if r := d.kdsAs(t, writer, "send", "sasl_kept", "hello"); r.Code != 0 {
		t.Fatalf("send after a restart\n%s", r)
	}
}

package main_test

import (
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

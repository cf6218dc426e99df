package embedded_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kds-io/kds/adapters/embedded"
)

// TestBrokerKeepsItsUsersButTakesTheirNewPasswords: a broker started
// again on its data directory keeps its topics and the SCRAM users made
// at runtime, and its own users log in with the password it is started
// with: when one changed, that one, the runtime users going with the
// saved ones.
func TestBrokerKeepsItsUsersButTakesTheirNewPasswords(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	start := func(password string) *embedded.Broker {
		b, err := embedded.Start(embedded.Config{Addr: "127.0.0.1:0", Brokers: 1, DataDir: dir,
			SASL: []embedded.SASLUser{{Mechanism: "scram-sha-256", Username: "kds", Password: password}}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := start("first-password")
	if err := first.Cluster().CreateTopic("kept", 1, nil); err != nil {
		t.Fatal(err)
	}
	addUser(t, first.Addrs(), "first-password", "alice", "alice-password")
	first.Close()

	again := start("first-password")
	if err := scramLogin(again.Addrs(), "alice", "alice-password"); err != nil {
		t.Errorf("a user made at runtime, after a restart: %v", err)
	}
	if err := scramLogin(again.Addrs(), "kds", "first-password"); err != nil {
		t.Errorf("the broker's own user, after a restart: %v", err)
	}
	again.Close()

	changed := start("second-password")
	defer changed.Close()
	if err := scramLogin(changed.Addrs(), "kds", "second-password"); err != nil {
		t.Fatalf("the password it was started with: %v", err)
	}
	if err := scramLogin(changed.Addrs(), "kds", "first-password"); err == nil {
		t.Fatal("the broker still takes the password of its first start")
	}
	if changed.Cluster().TopicInfo("kept") == nil {
		t.Fatal("the broker lost its topic")
	}
}

// addUser makes a SCRAM-SHA-256 user through the Kafka API, logged in as
// kds.
func addUser(t *testing.T, addrs []string, kdsPassword, user, password string) {
	t.Helper()
	client, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.SASL(scram.Auth{User: "kds", Pass: kdsPassword}.AsSha256Mechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	altered, err := kadm.NewClient(client).AlterUserSCRAMs(ctx, nil,
		[]kadm.UpsertSCRAM{{User: user, Mechanism: kadm.ScramSha256, Iterations: 4096, Password: password}})
	if err == nil {
		err = altered.Error()
	}
	if err != nil {
		t.Fatalf("make user %s: %v", user, err)
	}
}

// scramLogin logs in to the brokers at addrs as user with SCRAM-SHA-256.
func scramLogin(addrs []string, user, password string) error {
	client, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.SASL(scram.Auth{User: user, Pass: password}.AsSha256Mechanism()))
	if err != nil {
		return err
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return client.Ping(ctx)
}

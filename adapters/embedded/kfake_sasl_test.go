package embedded_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"
)

// TestKfakeKeepsTheUsersOfItsDataDir pins what kds's embedded broker
// works around (DESIGN.md §6): kfake loads the SASL users it saved in its
// data directory over the ones it is started with, so a password changed
// between two starts on the same directory is refused.
func TestKfakeKeepsTheUsersOfItsDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	start := func(password string) *kfake.Cluster {
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DataDir(dir), kfake.EnableSASL(), kfake.Superuser("PLAIN", "kds", password))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	start("first-password").Close()
	c := start("second-password")
	defer c.Close()
	if err := pingAs(c.ListenAddrs(), "second-password"); err == nil {
		t.Fatal("kfake took the password it was started with over the one saved in its data directory; kds's embedded broker need no longer forget the saved users")
	}
	if err := pingAs(c.ListenAddrs(), "first-password"); err != nil {
		t.Fatalf("the saved password: %v", err)
	}
}

// pingAs connects to the brokers at addrs as kds with password over SASL
// PLAIN.
func pingAs(addrs []string, password string) error {
	client, err := kgo.NewClient(kgo.SeedBrokers(addrs...),
		kgo.SASL(plain.Auth{User: "kds", Pass: password}.AsMechanism()), kgo.RequestRetries(0))
	if err != nil {
		return err
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return client.Ping(ctx)
}

// TestKfakeAdvertisesNoSaslHandshakeV0 pins what the embedded broker works
// around: kfake advertises SaslHandshake from version 1 only, where Kafka
// advertises 0 to 1, and librdkafka 2.0 (kcat) then takes it for a broker
// without SASL handshakes.
func TestKfakeAdvertisesNoSaslHandshakeV0(t *testing.T) {
	t.Parallel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser("PLAIN", "kds", "pw"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if min := saslHandshakeMin(t, c.ListenAddrs()); min != 1 {
		t.Fatalf("kfake advertises SaslHandshake from version %d: the embedded broker need no longer advertise version 0 itself", min)
	}
}

// saslHandshakeMin is the lowest SaslHandshake version the brokers at
// addrs advertise.
func saslHandshakeMin(t *testing.T, addrs []string) int16 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range resp.ApiKeys {
		if k.ApiKey == kmsg.SASLHandshake.Int16() {
			return k.MinVersion
		}
	}
	t.Fatal("no SaslHandshake advertised")
	return 0
}

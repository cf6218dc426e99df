package embedded_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
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

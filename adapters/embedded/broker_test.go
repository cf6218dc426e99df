package embedded_test

import (
	"testing"

	"github.com/kds-io/kds/adapters/embedded"
)

// TestBrokerTakesTheUsersItIsStartedWith: a broker started again on its
// data directory with another SASL password accepts that password, not
// the one it saved, and still has its topics.
func TestBrokerTakesTheUsersItIsStartedWith(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	start := func(password string) *embedded.Broker {
		b, err := embedded.Start(embedded.Config{Addr: "127.0.0.1:0", Brokers: 1, DataDir: dir,
			SASL: []embedded.SASLUser{{Mechanism: "plain", Username: "kds", Password: password}}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := start("first-password")
	if err := first.Cluster().CreateTopic("kept", 1, nil); err != nil {
		t.Fatal(err)
	}
	first.Close()
	b := start("second-password")
	defer b.Close()
	if err := pingAs(b.Addrs(), "second-password"); err != nil {
		t.Fatalf("the password it was started with: %v", err)
	}
	if err := pingAs(b.Addrs(), "first-password"); err == nil {
		t.Fatal("the broker still takes the password of its first start")
	}
	if b.Cluster().TopicInfo("kept") == nil {
		t.Fatal("the broker lost its topic")
	}
}

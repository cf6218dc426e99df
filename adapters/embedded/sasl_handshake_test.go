package embedded_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/embedded"
)

// TestKcatLogsInToTheEmbeddedBroker: the embedded broker advertises
// SaslHandshake from version 0, as Kafka does, so kcat logs in over SASL
// (SCRAM and PLAIN), and a wrong password is still refused.
func TestKcatLogsInToTheEmbeddedBroker(t *testing.T) {
	t.Parallel()
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("KDS_TEST_REQUIRE_MYSQL") == "1" {
			t.Fatal("kcat is needed (apt-get install kcat)")
		}
		t.Skip("kcat is not installed (apt-get install kcat)")
	}
	for _, mech := range []string{"SCRAM-SHA-512", "PLAIN"} {
		t.Run(mech, func(t *testing.T) {
			t.Parallel()
			b, err := embedded.Start(embedded.Config{Addr: "127.0.0.1:0", Brokers: 1, SASL: []embedded.SASLUser{{Mechanism: mech, Username: "kds", Password: "Right-Pa55"}}})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if min := saslHandshakeMin(t, b.Addrs()); min != 0 {
				t.Fatalf("SaslHandshake advertised from version %d", min)
			}
			list := func(password string) (string, error) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				out, err := exec.CommandContext(ctx, kcat, "-b", strings.Join(b.Addrs(), ","), "-X", "security.protocol=SASL_PLAINTEXT",
					"-X", "sasl.mechanisms="+mech, "-X", "sasl.username=kds", "-X", "sasl.password="+password, "-L", "-m", "3").CombinedOutput()
				return string(out), err
			}
			if out, err := list("Right-Pa55"); err != nil || !strings.Contains(out, "1 brokers") {
				t.Fatalf("kcat -L with the right password: %v\n%s", err, out)
			}
			if out, err := list("wrong"); err == nil {
				t.Fatalf("kcat -L with a wrong password succeeded\n%s", out)
			}
		})
	}
}

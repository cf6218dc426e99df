package main_test

// The outbox delivers every message kds writes to Kafka in order; one that
// Kafka will never take must not hold up the ones behind it, and an
// outbox that stops moving must be seen.

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/app/topic"
)

// TestMessageKafkaRefusesDoesNotBlockTheOutbox makes kds.commands take no
// message over 1,000 bytes, as a broker with a small max.message.bytes
// does, and requests a topic whose command is larger: Kafka refuses it for
// good. The waiting client hears that the command failed and why, the
// message is on kds.poison, and the commands behind it are applied.
func TestMessageKafkaRefusesDoesNotBlockTheOutbox(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	set := []kadm.AlterConfig{{Name: "max.message.bytes", Value: kadm.StringPtr("1000")}}
	resp, err := kafkatest.Admin(t, kafkatest.Config(d.KafkaAddrs...)).AlterTopicConfigs(context.Background(), set, topic.CommandsTopic)
	for _, r := range resp {
		err = cmp.Or(err, r.Err)
	}
	if err != nil {
		t.Fatalf("set max.message.bytes of kds.commands: %v", err)
	}

	r := d.kds(t, "topic", "request", "too_big", "--reason", strings.Repeat("x", 900))
	wantFailure(t, r, 1, "too_big: failed: Kafka refused the command for good: ", "too large")
	var refused commandDoc
	eventually(t, "the refused command recorded as failed", func() (bool, string) {
		var cmds []commandDoc
		c := call(t, http.MethodGet, d.APIURL+"/api/v1/commands?topic=too_big", d.AdminToken, "")
		if err := json.Unmarshal([]byte(c.body), &cmds); err != nil || c.status != http.StatusOK {
			t.Fatalf("GET /api/v1/commands: %d %s", c.status, c.body)
		}
		if len(cmds) == 1 {
			refused = cmds[0]
		}
		return refused.Status == "failed", fmt.Sprintf("%+v", cmds)
	})
	if !strings.Contains(refused.Error, "too large") {
		t.Errorf("the failed command says %q, want Kafka's reason", refused.Error)
	}

	// The commands behind it flow on.
	d.request(t, "after_big")
	d.mustKds(t, "topic", "approve", "after_big")
	if got := d.statuses(t); got["after_big"] != "active" || got["too_big"] != "" {
		t.Fatalf("statuses %v, want after_big active and no too_big", got)
	}

	var poisoned []poisonDoc
	decodeJSON(t, d.kds(t, "poison", "list", "-o", "json"), &poisoned)
	if len(poisoned) != 1 || poisoned[0].Topic != "kds.commands" || poisoned[0].Key != "too_big" || poisoned[0].Handler != "kds-forwarder" ||
		!strings.Contains(poisoned[0].Reason, "too large") || !strings.Contains(poisoned[0].Payload, refused.CommandID) {
		t.Fatalf("poison list %+v, want the refused command, from the forwarder, with Kafka's reason", poisoned)
	}
	wantFailure(t, d.kds(t, "poison", "requeue", poisoned[0].ID), 1, "never requeued")
	if log := d.stderr.String(); !strings.Contains(log, "Kafka refused a message for good") || !strings.Contains(log, "key=too_big") {
		t.Error("kds dev's log does not report the refused message")
	}
	// The activation's event may still be on its way out.
	eventually(t, "kds_outbox_lag 0", func() (bool, string) {
		lag := metric(metricsPage(t, d.APIURL, d.AdminToken), "kds_outbox_lag")
		return lag == 0, fmt.Sprint("kds_outbox_lag ", lag)
	})
}

// TestStuckOutboxIsReported runs kds serve without the forwarder role, so
// that nothing delivers the outbox: once the oldest waiting message is
// older than outbox.stuck_after, /readyz says the outbox is stuck and
// kds_outbox_oldest_seconds says for how long. A forwarder started then
// delivers it, and both say so.
func TestStuckOutboxIsReported(t *testing.T) {
	t.Parallel()
	_, kafkaAddr := startBroker(t, "")
	cfg := newServeConfig(t, kafkaAddr, "KDS_OUTBOX_STUCK_AFTER=1s")
	serve := newServe(t, "kds serve without a forwarder", cfg, "--roles", "api,lifecycle,topic-manager")
	serve.mustStart(t)
	cli := cliFor(t, serve.URL, cfg.token, kafkaAddr)
	cli.mustKds(t, "topic", "request", "waiting", "--no-wait")

	var rd struct {
		code   int
		checks map[string]string
	}
	eventually(t, "/readyz to say the outbox is stuck", func() (bool, string) {
		code, r := readiness(t, serve.URL)
		rd.code, rd.checks = code, r.Checks
		return code == http.StatusServiceUnavailable && r.Checks["outbox"] != "ok", fmt.Sprintf("%d %+v", code, r)
	})
	if !strings.Contains(rd.checks["outbox"], "outbox.stuck_after 1s") || rd.checks["mysql"] != "ok" || rd.checks["kafka"] != "ok" {
		t.Errorf("/readyz while the outbox is stuck: %+v, want the outbox check to say so and the rest ok", rd.checks)
	}
	page := metricsPage(t, serve.URL, cfg.token)
	if oldest := metric(page, "kds_outbox_oldest_seconds"); oldest < 1 {
		t.Errorf("kds_outbox_oldest_seconds %v while stuck, want at least 1\n%s", oldest, page)
	}

	forwarder := newServe(t, "kds serve with the forwarder", cfg.withHTTPAddr(t), "--roles", "api,forwarder")
	forwarder.mustStart(t)
	eventually(t, "/readyz ready once the forwarder delivered", func() (bool, string) {
		code, r := readiness(t, serve.URL)
		return code == http.StatusOK, fmt.Sprintf("%d %+v", code, r)
	})
	if oldest := metric(metricsPage(t, serve.URL, cfg.token), "kds_outbox_oldest_seconds"); oldest != 0 {
		t.Errorf("kds_outbox_oldest_seconds %v once delivered, want 0", oldest)
	}
	// Delivered is not yet applied: the lifecycle reads it from Kafka next.
	eventually(t, "waiting pending", func() (bool, string) {
		got := cli.statuses(t)["waiting"]
		return got == "pending", fmt.Sprintf("waiting is %q", got)
	})
}

package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
)

// TestUsageReportsTopicsAndLag writes to an active topic that a consumer
// subscribes to, commits part of it for the subscription's group as the
// consumer would, and reads the usage the API samples: the topic's counts
// and the subscription's lag, in /api/v1/usage, the topic's own report
// with its history, and /metrics; a topic that is not active has none.
func TestUsageReportsTopicsAndLag(t *testing.T) {
	t.Parallel()
	c := newContentAPI(t)
	ctx := context.Background()
	name := uniqueName("usage")
	c.activeTopic(t, name, 2)
	values := make([]string, 30)
	for i := range values {
		values[i] = fmt.Sprint("m", i)
	}
	c.produce(t, name, values...)
	sub, err := c.admin.Subscribe(ctx, "reader", name, false)
	if err != nil {
		t.Fatal(err)
	}
	ends, err := kafkatest.Admin(t, c.kafka).ListEndOffsets(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	// The group read all but 5 messages of the first partition.
	commit := kadm.Offsets{}
	var behind int64
	ends.Each(func(o kadm.ListedOffset) {
		at := o.Offset
		if o.Partition == 0 {
			at = max(o.Offset-5, 0)
			behind = o.Offset - at
		}
		commit.Add(kadm.Offset{Topic: name, Partition: o.Partition, At: at, LeaderEpoch: -1})
	})
	if _, err := kafkatest.Admin(t, c.kafka).CommitOffsets(ctx, sub.Group, commit); err != nil {
		t.Fatal(err)
	}

	var lag apiv1.SubscriptionLag
	deadline := time.Now().Add(10 * time.Second)
	for {
		report, err := c.admin.Usage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, l := range report.Subscriptions {
			if l.Topic == name && len(l.Partitions) == 2 && l.Partitions[0].Committed >= 0 {
				lag, found = l, true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no lag of %s's subscription in %+v", name, report.Subscriptions)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if lag.Consumer != "reader" || lag.Group != sub.Group || lag.Total != behind || lag.State != "Empty" {
		t.Errorf("lag = %+v, want reader's group %s behind by %d", lag, sub.Group, behind)
	}
	if behind > 0 && (lag.Seconds <= 0 || lag.Seconds > 60) {
		t.Errorf("lag of %v s, want the age of a message written a moment ago", lag.Seconds)
	}

	tu, err := c.admin.TopicUsage(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if tu.Messages != 30 || tu.Produced != 30 || tu.Bytes <= 0 || tu.LastMessageAt.IsZero() || len(tu.Partitions) != 2 ||
		len(tu.Subscriptions) != 1 || len(tu.History) == 0 {
		t.Errorf("topic usage = %+v", tu)
	}
	scrape := c.scrape(t)
	for series, want := range map[string]float64{
		`kds_topic_messages{topic="` + name + `"}`:                               30,
		`kds_subscription_lag_messages{consumer="reader",topic="` + name + `"}`:  float64(behind),
		`kds_subscription_group_members{consumer="reader",topic="` + name + `"}`: 0,
	} {
		if got, ok := metricValue(scrape, series); !ok || got != want {
			t.Errorf("/metrics: %s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	if got, ok := metricValue(scrape, `kds_topic_bytes{topic="`+name+`"}`); !ok || got <= 0 {
		t.Errorf("/metrics: kds_topic_bytes of %s = %v (present %v)", name, got, ok)
	}

	// Messages written between two readings give the topic a rate, and a
	// place in the history the dashboard starts its charts from.
	c.produce(t, name, "more", "and more")
	for {
		report, err := c.admin.Usage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got apiv1.UsageReport
		if r := c.do(t, http.MethodGet, "/api/v1/usage?history=1", bootstrapToken, nil); r.status == http.StatusOK {
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatal(err)
			}
		}
		if h := got.History[name]; len(h) > 0 && slices.ContainsFunc(h, func(p apiv1.UsagePoint) bool { return p.Rate > 0 && p.Messages == 32 }) {
			if report.History != nil {
				t.Errorf("history without ?history=1: %v", report.History)
			}
			break
		}
		if time.Now().After(deadline.Add(10 * time.Second)) {
			t.Fatalf("no history with a rate for %s: %+v", name, got.History)
		}
		time.Sleep(50 * time.Millisecond)
	}

	pending := uniqueName("usage-pending")
	c.pending(t, pending)
	if got := c.do(t, http.MethodGet, "/api/v1/topics/"+pending+"/usage", bootstrapToken, nil); got.status != http.StatusConflict {
		t.Errorf("usage of a pending topic: %d, want 409: %s", got.status, got.body)
	}
	if got := c.do(t, http.MethodGet, "/api/v1/topics/no-such-topic/usage", bootstrapToken, nil); got.status != http.StatusNotFound {
		t.Errorf("usage of an unknown topic: %d, want 404: %s", got.status, got.body)
	}
}

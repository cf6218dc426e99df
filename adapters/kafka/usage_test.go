package kafka_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/app/content"
)

// produceAt writes one record to a partition in a batch of its own, with
// the timestamp given.
func produceAt(t *testing.T, c kafka.Config, topic string, partition int32, at time.Time) {
	t.Helper()
	kafkatest.Produce(t, c, &kgo.Record{Topic: topic, Partition: partition, Value: []byte("v-" + at.String()), Timestamp: at})
}

// TestUsageReadsOffsetsSizesAndTimes writes records with known timestamps
// over two brokers and deletes the oldest of one partition: the usage has
// each partition's oldest and newest offsets, a size for every written
// partition, and the newest record's time; a topic Kafka does not know is
// left out.
func TestUsageReadsOffsetsSizesAndTimes(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t, kfake.NumBrokers(2))
	ctx := context.Background()
	kafkatest.CreateTopics(t, c, 3, "wide")
	kafkatest.CreateTopics(t, c, 1, "empty")
	t0 := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Hour)
	for i := range 4 {
		produceAt(t, c, "wide", 0, t0.Add(time.Duration(i)*time.Minute))
	}
	produceAt(t, c, "wide", 2, t0.Add(30*time.Minute))
	admin := kafkatest.Admin(t, c)
	del := kadm.Offsets{}
	del.Add(kadm.Offset{Topic: "wide", Partition: 0, At: 1})
	if _, err := admin.DeleteRecords(ctx, del); err != nil {
		t.Fatal(err)
	}

	u := kafka.NewUsage(c)
	defer u.Close()
	got, err := u.TopicUsage(ctx, []string{"wide", "empty", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["missing"]; ok || len(got) != 2 {
		t.Fatalf("topics read: %v, want wide and empty", got)
	}
	wide := got["wide"]
	want := []struct {
		earliest, latest int64
		last             time.Time
	}{{1, 4, t0.Add(3 * time.Minute)}, {0, 0, time.Time{}}, {0, 1, t0.Add(30 * time.Minute)}}
	if len(wide.Partitions) != 3 {
		t.Fatalf("wide: %+v", wide)
	}
	for i, p := range wide.Partitions {
		w := want[i]
		if p.Partition != int32(i) || p.Earliest != w.earliest || p.Latest != w.latest || !p.LastMessageAt.Equal(w.last) {
			t.Errorf("partition %d: %+v, want %+v", i, p, w)
		}
		if (p.Latest > 0) != (p.Bytes > 0) || p.Bytes < 0 {
			t.Errorf("partition %d: %d bytes for %d messages written", i, p.Bytes, p.Latest)
		}
	}
	if wide.Messages != 4 || wide.Produced != 5 || !wide.LastMessageAt.Equal(t0.Add(30*time.Minute)) {
		t.Errorf("wide: %d kept, %d produced, last at %v", wide.Messages, wide.Produced, wide.LastMessageAt)
	}
	if e := got["empty"]; e.Messages != 0 || e.Bytes != 0 || !e.LastMessageAt.IsZero() {
		t.Errorf("empty: %+v", e)
	}

	// A reading of a topic nothing was written to since asks Kafka for no
	// message's time again.
	fetches := u.Requests()["Fetch"]
	if _, err := u.TopicUsage(ctx, []string{"wide", "empty"}); err != nil {
		t.Fatal(err)
	}
	if again := u.Requests(); fetches == 0 || again["Fetch"] != fetches || again["ListOffsets"] < 4 {
		t.Errorf("requests after a second reading of unchanged topics: %v, first reading %d fetches", again, fetches)
	}

	// A newer record moves the last message time on.
	produceAt(t, c, "wide", 2, t0.Add(40*time.Minute))
	if got, err = u.TopicUsage(ctx, []string{"wide"}); err != nil {
		t.Fatal(err)
	}
	if last := got["wide"].Partitions[2].LastMessageAt; !last.Equal(t0.Add(40 * time.Minute)) {
		t.Errorf("after another record: last message at %v", last)
	}
}

// TestUsageReadsGroupProgress commits offsets for a group that has no
// members, as kds's subscriptions do before they read: its progress has
// the committed offsets, its state, and the time of the oldest message it
// has not read; a group that never committed is Dead and has none.
func TestUsageReadsGroupProgress(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t, kfake.NumBrokers(2))
	ctx := context.Background()
	kafkatest.CreateTopics(t, c, 2, "orders")
	t0 := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Hour)
	for i := range 5 {
		produceAt(t, c, "orders", 0, t0.Add(time.Duration(i)*time.Minute))
	}
	produceAt(t, c, "orders", 1, t0)
	commit := kadm.Offsets{}
	commit.Add(kadm.Offset{Topic: "orders", Partition: 0, At: 2, LeaderEpoch: -1})
	commit.Add(kadm.Offset{Topic: "orders", Partition: 1, At: 1, LeaderEpoch: -1})
	if _, err := kafkatest.Admin(t, c).CommitOffsets(ctx, "kds-consumer.a.orders.x", commit); err != nil {
		t.Fatal(err)
	}

	u := kafka.NewUsage(c)
	defer u.Close()
	usage, err := u.TopicUsage(ctx, []string{"orders"})
	if err != nil {
		t.Fatal(err)
	}
	reads := []content.GroupRead{{Group: "kds-consumer.a.orders.x", Topic: "orders"}, {Group: "never", Topic: "orders"}}
	progress, err := u.GroupProgress(ctx, reads, usage)
	if err != nil {
		t.Fatal(err)
	}
	if len(progress) != 2 {
		t.Fatalf("progress: %+v", progress)
	}
	p := progress[0]
	if p.State != "Empty" || p.Members != 0 || p.Committed[0] != 2 || p.Committed[1] != 1 {
		t.Errorf("committed group: %+v", p)
	}
	if at := p.UnreadSince[0]; !at.Equal(t0.Add(2*time.Minute)) || len(p.UnreadSince) != 1 {
		t.Errorf("unread since %v, want %v and nothing for the caught-up partition", p.UnreadSince, t0.Add(2*time.Minute))
	}
	lag := content.GroupLag(p, usage["orders"], time.Now())
	if lag.Total != 3 || lag.Seconds < 58*60 {
		t.Errorf("lag: %+v", lag)
	}
	if n := progress[1]; n.State != "Dead" || len(n.Committed) != 0 {
		t.Errorf("group never committed: %+v", n)
	}

	// Another reading of the same finds every time it needs kept.
	fetches := u.Requests()["Fetch"]
	if usage, err = u.TopicUsage(ctx, []string{"orders"}); err != nil {
		t.Fatal(err)
	}
	if progress, err = u.GroupProgress(ctx, reads, usage); err != nil {
		t.Fatal(err)
	}
	if again := u.Requests()["Fetch"]; fetches == 0 || again != fetches || !progress[0].UnreadSince[0].Equal(t0.Add(2*time.Minute)) {
		t.Errorf("a second reading of nothing new: %d fetches after %d, unread since %v", again, fetches, progress[0].UnreadSince)
	}
}

// TestUsageReadsTimesOnEveryVersion reads message times speaking Kafka 2.8
// and 3.7, whose Fetch names topics by id instead of by name.
func TestUsageReadsTimesOnEveryVersion(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	ctx := context.Background()
	kafkatest.CreateTopics(t, c, 1, "versions")
	t0 := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Hour)
	produceAt(t, c, "versions", 0, t0)
	produceAt(t, c, "versions", 0, t0.Add(time.Minute))
	commit := kadm.Offsets{}
	commit.Add(kadm.Offset{Topic: "versions", Partition: 0, At: 0, LeaderEpoch: -1})
	if _, err := kafkatest.Admin(t, c).CommitOffsets(ctx, "g", commit); err != nil {
		t.Fatal(err)
	}
	for _, version := range []string{"2.8.0", "3.7.0"} {
		vc := c
		vc.Version = version
		u := kafka.NewUsage(vc)
		usage, err := u.TopicUsage(ctx, []string{"versions"})
		if err != nil {
			t.Fatal(err)
		}
		progress, err := u.GroupProgress(ctx, []content.GroupRead{{Group: "g", Topic: "versions"}}, usage)
		if err != nil {
			t.Fatal(err)
		}
		if last := usage["versions"].LastMessageAt; !last.Equal(t0.Add(time.Minute)) || len(progress) != 1 || !progress[0].UnreadSince[0].Equal(t0) {
			t.Errorf("Kafka %s: last message at %v, progress %+v", version, last, progress)
		}
		u.Close()
	}
}

// TestUsageSharesTheRatesNewestOffsets reads the message rates' offsets
// and then the usage of the same topics, as the api role does with a
// page open: Kafka is asked for the newest offsets once, by the rates,
// and the usage asks only for the oldest, and finds the same newest
// offsets. A topic the rates did not ask for is read in full.
func TestUsageSharesTheRatesNewestOffsets(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	ctx := context.Background()
	kafkatest.CreateTopics(t, c, 2, "rated", "other")
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	for i := range 3 {
		produceAt(t, c, "rated", int32(i%2), t0.Add(time.Duration(i)*time.Second))
	}

	u := kafka.NewUsage(c)
	defer u.Close()
	var produced content.ProducedCounter = u
	sums, err := produced.Produced(ctx, []string{"rated"})
	if err != nil {
		t.Fatal(err)
	}
	if sums["rated"] != 3 {
		t.Fatalf("produced: %v, want rated 3", sums)
	}
	before := u.Requests()["ListOffsets"]
	got, err := u.TopicUsage(ctx, []string{"rated"})
	if err != nil {
		t.Fatal(err)
	}
	if n := u.Requests()["ListOffsets"] - before; n != 1 {
		t.Errorf("a usage reading after the rates' sent %d ListOffsets, want 1 (the oldest offsets only)", n)
	}
	if r := got["rated"]; r.Produced != 3 || r.Partitions[0].Latest != 2 || r.Partitions[1].Latest != 1 {
		t.Errorf("usage from the shared offsets: %+v", r)
	}

	before = u.Requests()["ListOffsets"]
	if _, err := u.TopicUsage(ctx, []string{"rated", "other"}); err != nil {
		t.Fatal(err)
	}
	if n := u.Requests()["ListOffsets"] - before; n != 2 {
		t.Errorf("a usage reading of a topic the rates did not read sent %d ListOffsets, want 2", n)
	}
}

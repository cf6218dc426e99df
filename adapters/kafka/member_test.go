package kafka_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
)

// TestMembersComingAndGoingAtAnyMomentShareAGroupExactlyOnce: processes
// (memberships) join and leave one group at random moments while records
// are written, up to three at once, on a cluster of three brokers (the
// group's coordinator and the partitions' leaders are spread): every
// rebalance hands partitions over where the last handler left off, so
// together they read every record exactly once, each partition in order.
func TestMembersComingAndGoingAtAnyMomentShareAGroupExactlyOnce(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t, kfake.NumBrokers(3))
	c.Groups.SessionTimeout, c.Groups.HeartbeatInterval, c.Groups.RebalanceTimeout = 6*time.Second, 200*time.Millisecond, 5*time.Second
	const partitions, n = 4, 2000
	kafkatest.CreateTopics(t, c, partitions, "shared")
	writing := make(chan struct{})
	go func() {
		defer close(writing)
		for i := 0; i < n; i += 50 {
			produceNumbered(t, c, "shared", partitions, i, i+50)
			time.Sleep(10 * time.Millisecond)
		}
	}()
	r := newBatchReader(t)
	type process struct {
		members *kafka.Membership
		sub     message.Subscriber
		done    chan struct{}
	}
	start := func() process {
		members := kafka.NewMembership(c)
		sub, err := members.BatchSubscriber("shared-reader", kafka.FromOldest, watermill.NopLogger{})
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := sub.Subscribe(context.Background(), "shared")
		if err != nil {
			t.Fatal(err)
		}
		p := process{members: members, sub: sub, done: make(chan struct{})}
		go func() {
			defer close(p.done)
			r.read(msgs)
		}()
		return p
	}
	stop := func(p process) {
		if err := p.sub.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		<-p.done
		p.members.Close()
	}
	running := []process{start()}
	for round := 0; ; round++ {
		time.Sleep(rand.N(300 * time.Millisecond))
		switch {
		case len(running) < 3 && (len(running) == 1 || rand.N(2) == 0):
			running = append(running, start())
		default:
			i := rand.N(len(running))
			stop(running[i])
			running = append(running[:i], running[i+1:]...)
		}
		r.mu.Lock()
		got := len(r.seen)
		r.mu.Unlock()
		if got == partitions*n {
			t.Logf("read in %d rounds of joins and leaves", round+1)
			break
		}
		if round == 300 {
			t.Fatalf("%d of %d records read after %d rounds", got, partitions*n, round)
		}
	}
	for _, p := range running {
		stop(p)
	}
	<-writing
	if d := r.duplicates(); len(d) > 0 {
		t.Errorf("read more than once: %d values, such as %v", len(d), d[:min(len(d), 5)])
	}
}

// TestAMemberSharesItsGroupWithFranzGosOwn: kds's member speaks the group
// protocol as other clients do: with a franz-go group consumer (range
// assignor, as Kafka's clients and Sarama) in the same group, each reads
// some partitions, and between them every record.
func TestAMemberSharesItsGroupWithFranzGosOwn(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	const partitions = 4
	kafkatest.CreateTopics(t, c, partitions, "mixed")
	sub, err := kafka.NewBatchSubscriber(c, "mixed-reader", kafka.FromOldest, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	msgs, err := sub.Subscribe(context.Background(), "mixed")
	if err != nil {
		t.Fatal(err)
	}
	ours := collect(msgs)
	other, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers...), kgo.ConsumerGroup("mixed-reader"), kgo.ConsumeTopics("mixed"),
		kgo.Balancers(kgo.RangeBalancer()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var (
		mu     sync.Mutex
		theirs = map[string]bool{}
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			other.PollFetches(ctx).EachRecord(func(rec *kgo.Record) {
				mu.Lock()
				theirs[string(rec.Value)] = true
				mu.Unlock()
			})
		}
	}()
	for round := 0; ; round++ {
		prefix := fmt.Sprintf("r%d", round)
		produce(t, c, "mixed", partitions, prefix)
		ours.wait(t, "every partition's message read by one of the two", 20*time.Second, func(got map[string]bool) bool {
			mu.Lock()
			defer mu.Unlock()
			return countPrefix(got, prefix+"-")+countPrefix(theirs, prefix+"-") >= partitions
		})
		mu.Lock()
		theirCount := countPrefix(theirs, prefix+"-")
		mu.Unlock()
		if ours.count(prefix+"-") > 0 && theirCount > 0 {
			t.Logf("round %d: kds read %d partitions' messages, franz-go %d", round, ours.count(prefix+"-"), theirCount)
			return
		}
		if round == 100 {
			t.Fatal("the two members were never given partitions each")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSubscriptionsOfAMembershipShareItsReader: many subscriptions of one
// process, each in a group of its own, read through one client: each
// costs a few goroutines, not a client's dozen, and each reads its own
// topic whole, also while others close.
func TestSubscriptionsOfAMembershipShareItsReader(t *testing.T) {
	// Not in parallel: it counts the process's goroutines.
	_, c := kafkatest.Start(t)
	const topics, n = 40, 100
	names := make([]string, topics)
	for i := range names {
		names[i] = fmt.Sprintf("many-%02d", i)
	}
	kafkatest.CreateTopics(t, c, 2, names...)
	members := kafka.NewMembership(c)
	defer members.Close()
	subs := make([]message.Subscriber, topics)
	readers := make([]*batchReader, topics)
	done := make([]chan struct{}, topics)
	for i, name := range names {
		sub, msgs := subscribeAlone(t, members, name)
		subs[i], readers[i], done[i] = sub, newBatchReader(t), make(chan struct{})
		go func() {
			defer close(done[i])
			readers[i].read(msgs)
		}()
	}
	for _, name := range names {
		produceNumbered(t, c, name, 2, 0, n)
	}
	for _, r := range readers {
		r.wait(t, 2, n)
	}
	all := settledGoroutines()
	// Half of them close while the others read on.
	for i := range topics / 2 {
		if err := subs[i].Close(); err != nil {
			t.Fatal(err)
		}
		<-done[i]
	}
	half := settledGoroutines()
	for _, name := range names[topics/2:] {
		produceNumbered(t, c, name, 2, n, 2*n)
	}
	for i := topics / 2; i < topics; i++ {
		readers[i].wait(t, 2, 2*n)
		if err := subs[i].Close(); err != nil {
			t.Fatal(err)
		}
		<-done[i]
	}
	// A subscription is its member's goroutine and the test's reader (a
	// client of its own had a dozen more).
	each := float64(all-half) / (topics / 2)
	t.Logf("%.1f goroutines a subscription", each)
	if each > 3 {
		t.Errorf("each subscription runs %.1f goroutines (%d with %d running, %d with %d), want at most 3", each, all, topics, half, topics/2)
	}
	for i, r := range readers {
		if d := r.duplicates(); len(d) > 0 {
			t.Errorf("%s read more than once: %v", names[i], d[:min(len(d), 5)])
		}
		want := int64(n)
		if i >= topics/2 {
			want = 2 * n
		}
		if got := committed(t, c, "reader-of-"+names[i], names[i]); got[0] != want || got[1] != want {
			t.Errorf("%s: committed %v after closing, want %d on each partition", names[i], got, want)
		}
	}
}

// subscribeAlone subscribes to topicName from its oldest record, in a
// group of the subscription's own, reader-of-topicName.
func subscribeAlone(t *testing.T, members *kafka.Membership, topicName string) (message.Subscriber, <-chan *message.Message) {
	t.Helper()
	sub, err := members.BatchSubscriber("reader-of-"+topicName, kafka.FromOldest, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := sub.Subscribe(context.Background(), topicName)
	if err != nil {
		t.Fatal(err)
	}
	return sub, msgs
}

// settledGoroutines counts the process's goroutines once the count has
// stopped changing for a moment.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 50 {
		time.Sleep(20 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			return n
		}
		n = m
	}
	return n
}

// TestASlowSubscriptionHoldsBackNoOther: one subscription's handler stops
// taking batches while its topic keeps filling; another subscription of
// the same process reads its own topic meanwhile. Once the slow handler
// takes again, its partitions (paused while it fell behind) go on from
// where they stood: every record once, in order.
func TestASlowSubscriptionHoldsBackNoOther(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	kafkatest.CreateTopics(t, c, 2, "slow", "fast")
	members := kafka.NewMembership(c)
	defer members.Close()
	slowSub, slowMsgs := subscribeAlone(t, members, "slow")
	defer slowSub.Close()
	fastSub, fastMsgs := subscribeAlone(t, members, "fast")
	defer fastSub.Close()
	stuck := make(chan struct{})
	slow, fast := newBatchReader(t), newBatchReader(t)
	go func() {
		<-stuck
		slow.read(slowMsgs)
	}()
	go fast.read(fastMsgs)
	// Many small batches, each written on its own, so that the slow
	// partitions have more waiting than their handler may queue.
	const rounds, each = 40, 50
	for i := 0; i < rounds*each; i += each {
		produceNumbered(t, c, "slow", 2, i, i+each)
	}
	produceNumbered(t, c, "fast", 2, 0, 1000)
	fast.wait(t, 2, 1000)
	close(stuck)
	slow.wait(t, 2, rounds*each)
	for name, r := range map[string]*batchReader{"slow": slow, "fast": fast} {
		if d := r.duplicates(); len(d) > 0 {
			t.Errorf("%s: read more than once: %v", name, d[:min(len(d), 5)])
		}
	}
}

// TestAProcessReadsATopicForOneGroupAtATime: the membership's one reader
// fetches a partition for one member, so a second group's subscription to
// a topic another group reads in the process is refused, saying why, until
// the first stops; more members of the same group share it.
func TestAProcessReadsATopicForOneGroupAtATime(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	kafkatest.CreateTopics(t, c, 2, "contested")
	members := kafka.NewMembership(c)
	defer members.Close()
	subscriber := func(group string) message.Subscriber {
		sub, err := members.BatchSubscriber(group, kafka.FromOldest, watermill.NopLogger{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sub.Close() })
		return sub
	}
	first, sameGroup, other := subscriber("first"), subscriber("first"), subscriber("other")
	if _, err := first.Subscribe(context.Background(), "contested"); err != nil {
		t.Fatal(err)
	}
	if _, err := sameGroup.Subscribe(context.Background(), "contested"); err != nil {
		t.Fatalf("a second member of the same group: %v", err)
	}
	_, err := other.Subscribe(context.Background(), "contested")
	if err == nil || !strings.Contains(err.Error(), "group first reads it in this process") {
		t.Fatalf("another group's subscription while the first reads: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sameGroup.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Subscribe(context.Background(), "contested"); err != nil {
		t.Fatalf("once the first group stopped: %v", err)
	}
}

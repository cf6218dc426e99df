package kafka_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
)

// keyedRecords are records key-0 … key-(keys-1), each with records values
// "key-K/I" in order, on partition K % partitions, interleaved by key.
func keyedRecords(topicName string, keys, records, partitions int) []*kgo.Record {
	var rs []*kgo.Record
	for i := range records {
		for k := range keys {
			key := fmt.Sprintf("key-%d", k)
			rs = append(rs, &kgo.Record{Topic: topicName, Partition: int32(k % partitions), Key: []byte(key), Value: fmt.Appendf(nil, "%s/%d", key, i)})
		}
	}
	return rs
}

// keyedValue splits a value of keyedRecords.
func keyedValue(t *testing.T, msg *message.Message) (key string, i int) {
	t.Helper()
	key, n, _ := strings.Cut(string(msg.Payload), "/")
	i, err := strconv.Atoi(n)
	if err != nil {
		t.Fatalf("unexpected message %q", msg.Payload)
	}
	return key, i
}

func keyedSubscribe(t *testing.T, c kafka.Config, group, topicName string, inFlight int) (*kafka.KeyedSubscriber, <-chan *message.Message) {
	t.Helper()
	sub, err := kafka.NewKeyedSubscriber(c, group, kafka.FromOldest, inFlight, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Close() })
	msgs, err := sub.Subscribe(context.Background(), topicName)
	if err != nil {
		t.Fatal(err)
	}
	return sub, msgs
}

// next is the next message, or fails the test when none comes in time.
func next(t *testing.T, msgs <-chan *message.Message) *message.Message {
	t.Helper()
	select {
	case m, ok := <-msgs:
		if !ok {
			t.Fatal("the subscription ended")
		}
		return m
	case <-time.After(20 * time.Second):
		t.Fatal("no message came")
	}
	return nil
}

// TestKeyedSubscriberHandsOutManyKeysAtOnceOneKeyInOrder: the first
// message of every key comes before any is acknowledged, and a key's next
// message only once the one before it was.
func TestKeyedSubscriberHandsOutManyKeysAtOnceOneKeyInOrder(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	const keys, perKey, partitions = 30, 4, 2
	kafkatest.CreateTopics(t, c, partitions, "keyed")
	kafkatest.Produce(t, c, keyedRecords("keyed", keys, perKey, partitions)...)
	_, msgs := keyedSubscribe(t, c, "keyed-group", "keyed", 1000)

	out := map[string]*message.Message{} // handed out, not yet acknowledged
	for range keys {
		m := next(t, msgs)
		key, i := keyedValue(t, m)
		if _, ok := out[key]; ok || i != 0 {
			t.Fatalf("%s came before the first message of its key was acknowledged", m.Payload)
		}
		out[key] = m
	}
	// The first message of each of 30 keys on 2 partitions is out, none
	// acknowledged. Acknowledging one lets only the next of its key come.
	acked := map[string]int{}
	for len(out) > 0 {
		keys := slices.Sorted(maps.Keys(out))
		key := keys[rand.IntN(len(keys))]
		out[key].Ack()
		delete(out, key)
		if acked[key]++; acked[key] == perKey {
			continue
		}
		m := next(t, msgs)
		if got, i := keyedValue(t, m); got != key || i != acked[key] {
			t.Fatalf("%s came after %s/%d was acknowledged", m.Payload, key, acked[key]-1)
		}
		out[key] = m
	}
}

// TestKeyedSubscriberCommitsBelowTheFirstUnacknowledged: a group resumes
// at its first message not acknowledged, and reads from there on again,
// acknowledged or not.
func TestKeyedSubscriberCommitsBelowTheFirstUnacknowledged(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	const n = 10
	kafkatest.CreateTopics(t, c, 1, "commits")
	kafkatest.Produce(t, c, keyedRecords("commits", n, 1, 1)...)

	first, msgs := keyedSubscribe(t, c, "commits-group", "commits", 100)
	for i := range n {
		m := next(t, msgs)
		if key, _ := keyedValue(t, m); key != fmt.Sprintf("key-%d", i) {
			t.Fatalf("message %d is %s", i, m.Payload)
		}
		if i == 3 || i >= 6 {
			m.Nack()
		} else {
			m.Ack()
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	committed, err := kafkatest.Admin(t, c).FetchOffsets(ctx, "commits-group")
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := committed.Lookup("commits", 0); !ok || o.At != 3 {
		t.Fatalf("committed %+v, want offset 3, the first message nacked", o)
	}

	_, again := keyedSubscribe(t, c, "commits-group", "commits", 100)
	for i := 3; i < n; i++ {
		m := next(t, again)
		if key, _ := keyedValue(t, m); key != fmt.Sprintf("key-%d", i) {
			t.Fatalf("after the restart, message %d is %s", i-3, m.Payload)
		}
		m.Ack()
	}
}

// TestKeyedSubscriberHandsANackedMessageOutAgainFirst: a nacked message
// comes again before the next message of its key.
func TestKeyedSubscriberHandsANackedMessageOutAgainFirst(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	kafkatest.CreateTopics(t, c, 1, "nacks")
	kafkatest.Produce(t, c, keyedRecords("nacks", 2, 2, 1)...)
	_, msgs := keyedSubscribe(t, c, "nacks-group", "nacks", 100)
	want := func(value string) *message.Message {
		t.Helper()
		m := next(t, msgs)
		if string(m.Payload) != value {
			t.Fatalf("got %s, want %s", m.Payload, value)
		}
		return m
	}
	first, other := want("key-0/0"), want("key-1/0")
	first.Nack()
	want("key-0/0").Ack()
	want("key-0/1").Ack()
	other.Ack()
	want("key-1/1").Ack()
}

// TestKeyedSubscriberLosesNothingAcrossRestartsAndRebalances: members that
// close and start again at any moment, while others read and a few
// messages are nacked, deliver every message, and none before every
// earlier message of its key was acknowledged.
func TestKeyedSubscriberLosesNothingAcrossRestartsAndRebalances(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	c.Groups = kafka.GroupConfig{SessionTimeout: 6 * time.Second, HeartbeatInterval: 500 * time.Millisecond, RebalanceTimeout: 5 * time.Second}
	const keys, perKey, partitions = 40, 10, 4
	kafkatest.CreateTopics(t, c, partitions, "restarts")
	records := keyedRecords("restarts", keys, perKey, partitions)
	kafkatest.Produce(t, c, records[:len(records)/2]...)

	var (
		mu       sync.Mutex
		acked    = map[string]map[int]bool{}
		done     int
		failures []string
		progress = make(chan struct{}, 1)
	)
	read := func(msgs <-chan *message.Message) {
		for m := range msgs {
			key, i := keyedValue(t, m)
			mu.Lock()
			for j := range i {
				if !acked[key][j] {
					failures = append(failures, fmt.Sprintf("%s came before %s/%d was acknowledged", m.Payload, key, j))
				}
			}
			nack := rand.IntN(20) == 0
			if !nack && !acked[key][i] {
				if acked[key] == nil {
					acked[key] = map[int]bool{}
				}
				acked[key][i] = true
				done++
			}
			mu.Unlock()
			if nack {
				m.Nack()
			} else {
				m.Ack()
			}
			select {
			case progress <- struct{}{}:
			default:
			}
		}
	}
	members := make([]*kafka.KeyedSubscriber, 2)
	start := func(i int) {
		sub, msgs := keyedSubscribe(t, c, "restarts-group", "restarts", 16)
		members[i] = sub
		go read(msgs)
	}
	start(0)
	start(1)
	produced := false
	deadline := time.Now().Add(90 * time.Second)
	for restarts := 0; ; {
		mu.Lock()
		n, failed := done, failures
		mu.Unlock()
		if len(failed) > 0 {
			t.Fatal(strings.Join(failed, "\n"))
		}
		if n == len(records) {
			t.Logf("%d messages delivered across %d restarts", n, restarts)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages acknowledged after %d restarts", n, len(records), restarts)
		}
		if !produced && n >= len(records)/4 {
			kafkatest.Produce(t, c, records[len(records)/2:]...)
			produced = true
		}
		// Restart a member every 50 messages or so, whatever it is doing.
		if n/50 > restarts {
			restarts++
			i := rand.IntN(len(members))
			if err := members[i].Close(); err != nil {
				t.Fatal(err)
			}
			start(i)
		}
		select {
		case <-progress:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultInFlight is how many records a KeyedSubscriber's subscription
// holds at most unless told otherwise: enough for a bulk approval of a
// thousand topics to be handled, and grouped, at once.
const DefaultInFlight = 1024

// closeGrace is how long Close waits for the messages handed out to be
// acknowledged, so that their offsets are committed.
const closeGrace = 5 * time.Second

// KeyedSubscriber is a Watermill subscriber in a consumer group, on
// franz-go, that hands out many messages at once and keeps the order of
// each Kafka key: a record is handed out once every earlier record of its
// partition with the same key has been acknowledged, so records of
// different keys are handled side by side, those of one key one at a time,
// in offset order. A subscription holds at most inFlight records, from the
// oldest unacknowledged one of each partition on. A partition's offset is
// committed up to its first record not yet acknowledged (at least once); a
// nacked message is handed out again after a short wait. A partition taken
// away by a rebalance is given up once its messages handed out are
// acknowledged (half the rebalance timeout at most) and their offsets
// committed; the records not yet handed out are left to the next owner.
type KeyedSubscriber struct {
	config   Config
	group    string
	start    Start
	instance string // static member id, or empty
	inFlight int
	logger   watermill.LoggerAdapter

	mu     sync.Mutex
	subs   []*keyedSubscription
	closed bool
}

// NewKeyedSubscriber returns a KeyedSubscriber in consumer group group, as
// a dynamic member (Membership makes static ones), that starts at start
// where the group has no offset and holds up to inFlight records of each
// subscription.
func NewKeyedSubscriber(c Config, group string, start Start, inFlight int, logger watermill.LoggerAdapter) (*KeyedSubscriber, error) {
	return newKeyedSubscriber(c, group, start, inFlight, "", logger)
}

// newKeyedSubscriber is NewKeyedSubscriber, as static member instance when
// instance is not empty.
func newKeyedSubscriber(c Config, group string, start Start, inFlight int, instance string, logger watermill.LoggerAdapter) (*KeyedSubscriber, error) {
	var errs []error
	if group == "" {
		errs = append(errs, errors.New("a keyed subscriber needs a consumer group"))
	}
	if inFlight < 1 {
		errs = append(errs, fmt.Errorf("a keyed subscriber must hold at least one message in flight, not %d", inFlight))
	}
	if start != FromOldest && start != FromNewest {
		errs = append(errs, fmt.Errorf("start %d is neither FromOldest nor FromNewest", start))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &KeyedSubscriber{config: c, group: group, start: start, instance: instance, inFlight: inFlight, logger: logger}, nil
}

// Subscribe joins the group for topicName with a client of its own. A
// static member reads one topic only: its instance id names one member.
func (s *KeyedSubscriber) Subscribe(ctx context.Context, topicName string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return nil, errors.New("subscribe to a closed subscriber")
	case s.instance != "" && len(s.subs) > 0:
		return nil, fmt.Errorf("static member %s of group %s reads one topic, and reads %s already", s.instance, s.group, s.subs[0].topic)
	}
	sub := &keyedSubscription{
		topic:      topicName,
		limit:      s.inFlight,
		logger:     s.logger.With(watermill.LogFields{"topic": topicName, "consumer_group": s.group}),
		out:        make(chan *message.Message),
		partitions: map[int32]*keyedPartition{},
		wake:       make(chan struct{}, 1),
		room:       make(chan struct{}, 1),
		stopping:   make(chan struct{}),
		closed:     make(chan struct{}),
	}
	sub.drainTimeout = s.config.Groups.timeouts().rebalance / 2
	opts := append(s.config.memberOptions(s.group, topicName, s.start, s.instance),
		kgo.OnPartitionsRevoked(func(ctx context.Context, cl *kgo.Client, revoked map[string][]int32) {
			sub.release(ctx, cl, revoked[topicName], sub.drainTimeout)
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
			sub.drop(lost[topicName])
		}),
	)
	client, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, &UnreachableError{Where: s.config.Where(), Err: err}
	}
	sub.client = client
	sub.ctx = ctx
	var pollCtx context.Context
	pollCtx, sub.stopPolling = context.WithCancel(context.Background())
	sub.loops.Add(2)
	go sub.poll(pollCtx)
	go sub.dispatch()
	go func() {
		select {
		case <-ctx.Done():
			sub.stop()
		case <-sub.closed:
		}
	}()
	s.subs = append(s.subs, sub)
	return sub.out, nil
}

// Close stops every subscription: it waits a little for the messages
// handed out to be acknowledged, commits the offsets of those that were,
// and leaves the group (a dynamic member; Membership makes static members
// leave).
func (s *KeyedSubscriber) Close() error {
	s.mu.Lock()
	s.closed = true
	subs := s.subs
	s.mu.Unlock()
	for _, sub := range subs {
		sub.stop()
	}
	return nil
}

// keyedSubscription is one topic read by one client.
type keyedSubscription struct {
	topic        string
	client       *kgo.Client
	ctx          context.Context // the messages' context
	limit        int
	drainTimeout time.Duration
	logger       watermill.LoggerAdapter
	out          chan *message.Message
	stopPolling  context.CancelFunc
	loops        sync.WaitGroup
	stopOnce     sync.Once

	mu         sync.Mutex
	partitions map[int32]*keyedPartition
	held       int            // records of all partitions held
	ready      []*keyedRecord // to hand out, in order
	wake       chan struct{}  // ready has records
	room       chan struct{}  // held fell below limit
	stopping   chan struct{}  // closed when nothing more is handed out
	closed     chan struct{}  // closed when the subscription is over
}

// keyedPartition is what a subscription holds of one partition.
type keyedPartition struct {
	// held are the records from the oldest unacknowledged one on, in
	// offset order.
	held []*keyedRecord
	// waiting are the unacknowledged records of each key, in offset order:
	// the first is handed out, or waits to be handed out again.
	waiting map[string][]*keyedRecord
	// out is how many records are handed out and not yet acknowledged or
	// nacked.
	out int
	// released: the partition is being given up; nothing more of it is
	// handed out.
	released bool
	// gone: the partition was given up; acknowledgements of its records
	// no longer count.
	gone bool
	// drained is closed when out reaches 0 once released.
	drained chan struct{}
}

// keyedRecord is a record held.
type keyedRecord struct {
	partition *keyedPartition
	record    *kgo.Record
	acked     bool
}

// poll takes records from the client while there is room for them.
func (s *keyedSubscription) poll(ctx context.Context) {
	defer s.loops.Done()
	for {
		room, ok := s.waitForRoom()
		if !ok {
			return
		}
		fetches := s.client.PollRecords(ctx, room)
		s.mu.Lock()
		fetches.EachRecord(s.add)
		s.mu.Unlock()
		s.client.AllowRebalance()
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return
		}
		fetches.EachError(func(topicName string, partition int32, err error) {
			s.logger.Error("Kafka fetch failed", err, watermill.LogFields{"partition": partition})
		})
	}
}

// waitForRoom returns how many more records may be held, once there is
// room for one, or false when the subscription stops.
func (s *keyedSubscription) waitForRoom() (int, bool) {
	for {
		s.mu.Lock()
		room := s.limit - s.held
		s.mu.Unlock()
		if room > 0 {
			return room, true
		}
		select {
		case <-s.room:
		case <-s.stopping:
			return 0, false
		}
	}
}

// add holds r, and hands it out unless an earlier record of its key is
// unacknowledged; s.mu is held.
func (s *keyedSubscription) add(r *kgo.Record) {
	p := s.partitions[r.Partition]
	if p == nil {
		p = &keyedPartition{waiting: map[string][]*keyedRecord{}}
		s.partitions[r.Partition] = p
	}
	kr := &keyedRecord{partition: p, record: r}
	p.held = append(p.held, kr)
	s.held++
	key := string(r.Key)
	p.waiting[key] = append(p.waiting[key], kr)
	if len(p.waiting[key]) == 1 {
		s.enqueue(kr)
	}
}

// enqueue makes kr the next to hand out after those ready; s.mu is held.
func (s *keyedSubscription) enqueue(kr *keyedRecord) {
	s.ready = append(s.ready, kr)
	notify(s.wake)
}

// notify signals c without waiting.
func notify(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// dispatch hands out the records ready, in order, each as a new message.
func (s *keyedSubscription) dispatch() {
	defer s.loops.Done()
	for {
		s.mu.Lock()
		if len(s.ready) == 0 {
			s.mu.Unlock()
			select {
			case <-s.wake:
				continue
			case <-s.stopping:
				return
			}
		}
		kr := s.ready[0]
		s.ready = s.ready[1:]
		kr.partition.out++
		s.mu.Unlock()
		msg, done := s.message(kr.record)
		select {
		case s.out <- msg:
			go s.await(kr, msg, done)
		case <-s.stopping:
			done()
			s.settle(kr)
			return
		}
	}
}

// message is r as a Watermill message, as Watermill's Kafka subscriber
// makes it, with r's key in its context (messageKey); done ends that
// context, once the message is acknowledged or nacked.
func (s *keyedSubscription) message(r *kgo.Record) (msg *message.Message, done context.CancelFunc) {
	var id string
	metadata := make(message.Metadata, len(r.Headers))
	for _, h := range r.Headers {
		if h.Key == wkafka.UUIDHeaderKey {
			id = string(h.Value)
			continue
		}
		metadata.Set(h.Key, string(h.Value))
	}
	msg = message.NewMessage(id, r.Value)
	msg.Metadata = metadata
	ctx, done := context.WithCancel(context.WithValue(s.ctx, recordKeyContext{}, r.Key))
	msg.SetContext(ctx)
	return msg, done
}

// await waits for msg's acknowledgement, until the subscription is over,
// and then ends msg's context with done.
func (s *keyedSubscription) await(kr *keyedRecord, msg *message.Message, done context.CancelFunc) {
	defer done()
	select {
	case <-msg.Acked():
		s.acked(kr)
	case <-msg.Nacked():
		s.nacked(kr)
	case <-s.closed:
	}
}

// settle counts kr as no longer handed out, taking s.mu.
func (s *keyedSubscription) settle(kr *keyedRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settled(kr.partition)
}

// settled counts one record of p as no longer handed out; s.mu is held.
func (s *keyedSubscription) settled(p *keyedPartition) {
	p.out--
	if p.released && p.out == 0 && p.drained != nil {
		close(p.drained)
		p.drained = nil
	}
}

// acked hands out the next record of kr's key and marks for commit the
// offset after the acknowledged records at the head of kr's partition.
func (s *keyedSubscription) acked(kr *keyedRecord) {
	s.mu.Lock()
	p := kr.partition
	s.settled(p)
	if p.gone {
		s.mu.Unlock()
		return
	}
	kr.acked = true
	key := string(kr.record.Key)
	if next := p.waiting[key][1:]; len(next) > 0 {
		p.waiting[key] = next
		if !p.released {
			s.enqueue(next[0])
		}
	} else {
		delete(p.waiting, key)
	}
	n := 0
	for n < len(p.held) && p.held[n].acked {
		n++
	}
	var last *kgo.Record
	if n > 0 {
		last = p.held[n-1].record
		clear(p.held[:n])
		p.held = p.held[n:]
		s.held -= n
		notify(s.room)
	}
	s.mu.Unlock()
	if last != nil {
		// Outside s.mu: kgo may be calling release, which waits for it.
		// A mark that comes after its partition was given up is ignored,
		// or, when the partition came back, says no more than the truth.
		s.client.MarkCommitOffsets(map[string]map[int32]kgo.EpochOffset{
			last.Topic: {last.Partition: {Epoch: last.LeaderEpoch, Offset: last.Offset + 1}},
		})
	}
}

// nacked hands kr out again after a while; the records of its key behind
// it keep waiting.
func (s *keyedSubscription) nacked(kr *keyedRecord) {
	s.mu.Lock()
	s.settled(kr.partition)
	s.mu.Unlock()
	timer := time.NewTimer(redeliverAfter)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-s.stopping:
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !kr.partition.released {
		s.enqueue(kr)
	}
}

// release gives partitions up: it hands out nothing more of them, waits
// up to wait for those handed out to be acknowledged, commits the offsets
// marked, and drops the rest, which the next owner reads again.
func (s *keyedSubscription) release(ctx context.Context, cl *kgo.Client, partitions []int32, wait time.Duration) {
	s.mu.Lock()
	var drained []chan struct{}
	for _, n := range partitions {
		p := s.partitions[n]
		if p == nil || p.released {
			continue
		}
		p.released = true
		s.ready = slices.DeleteFunc(s.ready, func(kr *keyedRecord) bool { return kr.partition == p })
		if p.out > 0 {
			p.drained = make(chan struct{})
			drained = append(drained, p.drained)
		}
	}
	s.mu.Unlock()
	timer := time.NewTimer(wait)
	defer timer.Stop()
wait:
	for _, d := range drained {
		select {
		case <-d:
		case <-timer.C:
			s.logger.Info("Giving partitions up with messages unacknowledged; they will be delivered again", nil)
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	if err := cl.CommitMarkedOffsets(ctx); err != nil {
		s.logger.Error("Cannot commit offsets; the messages after the last commit will be delivered again", err, nil)
	}
	s.drop(partitions)
}

// drop forgets partitions: acknowledgements of their records no longer
// count.
func (s *keyedSubscription) drop(partitions []int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range partitions {
		p := s.partitions[n]
		if p == nil {
			continue
		}
		p.released, p.gone = true, true
		s.ready = slices.DeleteFunc(s.ready, func(kr *keyedRecord) bool { return kr.partition == p })
		s.held -= len(p.held)
		delete(s.partitions, n)
	}
	notify(s.room)
}

// stop ends the subscription: it stops polling and handing out, gives
// every partition up as a revocation would (closeGrace at most), closes
// the client and then the messages' channel.
func (s *keyedSubscription) stop() {
	s.stopOnce.Do(func() {
		close(s.stopping)
		s.stopPolling()
		s.loops.Wait()
		s.mu.Lock()
		partitions := make([]int32, 0, len(s.partitions))
		for n := range s.partitions {
			partitions = append(partitions, n)
		}
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), closeGrace+5*time.Second)
		s.release(ctx, s.client, partitions, closeGrace)
		cancel()
		s.client.CloseAllowingRebalance()
		close(s.closed)
		close(s.out)
	})
}

// recordKeyContext is the context key of a message's Kafka key.
type recordKeyContext struct{}

// messageKey is the Kafka key a message was read with, by a
// KeyedSubscriber or by Watermill's Kafka subscriber.
func messageKey(ctx context.Context) []byte {
	if key, ok := ctx.Value(recordKeyContext{}).([]byte); ok {
		return key
	}
	key, _ := wkafka.MessageKeyFromCtx(ctx)
	return key
}

package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
)

// BatchSubscriber is a Watermill subscriber in one consumer group that
// hands the router whole fetches: each message carries the records of one
// partition that one fetch returned, in offset order, and Batch reads them
// back. The router stays the control plane, adding and stopping a
// subscription's handler at runtime, while the data path costs one message,
// one handler call and one commit mark per batch instead of per record.
//
// Each subscription is a member of the group of its own (member), and the
// subscribers of one Membership share its connections and its one reading
// client (fetcher): a subscription costs a few goroutines, not a client.
//
// Delivery is at least once: a batch's offsets are marked for commit only
// once its message is acked, or, when it is nacked, only as far as the
// handler said it took (Batch.Took); the rest comes again in a new message.
// A partition has one batch in flight at a time, so its records arrive in
// order; partitions are handled side by side. Marked offsets are committed
// every second, when partitions are revoked and on Close. Rebalances wait
// for the batches in flight, so a partition given to another member is
// never read twice by this one.
type BatchSubscriber struct {
	members  *Membership
	own      bool // the members are this subscriber's alone: Close closes them
	group    string
	start    Start
	instance string
	logger   watermill.LoggerAdapter

	mu       sync.Mutex
	closed   bool
	stop     context.CancelFunc // ends every read
	lifetime context.Context
	reads    sync.WaitGroup
}

// NewBatchSubscriber returns a subscriber in consumer group group, as a
// dynamic member (Membership makes static ones), that starts where start
// says on partitions the group has no offset for. It has connections of
// its own; a Membership's subscribers share theirs.
func NewBatchSubscriber(c Config, group string, start Start, logger watermill.LoggerAdapter) (*BatchSubscriber, error) {
	s, err := newBatchSubscriber(NewMembership(c), group, start, "", logger)
	if err != nil {
		return nil, err
	}
	s.own = true
	return s, nil
}

func newBatchSubscriber(members *Membership, group string, start Start, instance string, logger watermill.LoggerAdapter) (*BatchSubscriber, error) {
	if group == "" {
		return nil, errors.New("a batch subscriber needs a consumer group")
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	lifetime, stop := context.WithCancel(context.Background())
	return &BatchSubscriber{members: members, group: group, start: start, instance: instance, logger: logger, lifetime: lifetime, stop: stop}, nil
}

// Subscribe joins the group for topicName and returns its batches; the
// channel closes when ctx ends or the subscriber closes, once what was
// taken is committed.
func (s *BatchSubscriber) Subscribe(ctx context.Context, topicName string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("the subscriber is closed")
	}
	f, err := s.members.fetcher()
	if err != nil {
		return nil, err
	}
	stopped, err := s.members.readTopic(topicName, s.group)
	if err != nil {
		return nil, err
	}
	readCtx, cancel := context.WithCancel(ctx)
	context.AfterFunc(s.lifetime, cancel)
	out := make(chan *message.Message)
	m := &member{members: s.members, fetcher: f, group: s.group, topic: topicName, instance: s.instance, start: s.start, logger: s.logger}
	m.handle = func(ctx context.Context, b *Batch) { s.hand(ctx, m, b, out) }
	s.reads.Add(1)
	go func() {
		defer s.reads.Done()
		defer close(out)
		defer stopped()
		defer cancel()
		m.run(readCtx)
	}()
	return out, nil
}

// hand gives batch b to out until all of it is acked, marking for commit
// what the handler took; it gives up, with the rest unmarked, when ctx ends.
func (s *BatchSubscriber) hand(ctx context.Context, m *member, b *Batch, out chan<- *message.Message) {
	for {
		msg := message.NewMessage(fmt.Sprintf("%s/%d/%d", b.Topic, b.Partition, b.records[0].Offset), nil)
		msg.SetContext(context.WithValue(ctx, batchKey{}, b))
		select {
		case out <- msg:
		case <-ctx.Done():
			return
		}
		// The router took the message: its handler acks or nacks it
		// whatever happens to ctx.
		select {
		case <-msg.Acked():
			m.mark(b.Partition, b.records[len(b.records)-1].Offset+1)
			return
		case <-msg.Nacked():
		}
		if n := b.took; n > 0 {
			m.mark(b.Partition, b.records[n-1].Offset+1)
			b.records, b.took = b.records[n:], 0
			if len(b.records) == 0 {
				return
			}
		}
		select {
		case <-time.After(redeliverAfter):
		case <-ctx.Done():
			return
		}
	}
}

// Close ends every subscription, commits what their handlers took and
// leaves the group (a static member stays in it: Membership leaves for it).
func (s *BatchSubscriber) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.stop()
	s.reads.Wait()
	if s.own {
		return s.members.Close()
	}
	return nil
}

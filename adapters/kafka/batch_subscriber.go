package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kgo"
)

// BatchSubscriber is a Watermill subscriber in one consumer group that
// hands the router whole fetches: each message carries the records of one
// partition that one poll returned, in offset order, and Batch reads them
// back. The router stays the control plane, adding and stopping a
// subscription's handler at runtime, while the data path costs one message,
// one handler call and one commit mark per batch instead of per record.
//
// Delivery is at least once: a batch's offsets are marked for commit only
// once its message is acked, or, when it is nacked, only as far as the
// handler said it took (Batch.Took); the rest comes again in a new message.
// A partition has one batch in flight at a time, so its records arrive in
// order; the partitions of a poll are handled side by side. Marked offsets
// are committed every second, when partitions are revoked and on Close.
// Rebalances wait for the batches in flight (kgo's BlockRebalanceOnPoll),
// so a partition given to another member is never read twice by this one.
type BatchSubscriber struct {
	config   Config
	group    string
	start    Start
	instance string
	logger   watermill.LoggerAdapter

	mu       sync.Mutex
	closed   bool
	stop     context.CancelFunc // ends every read
	lifetime context.Context
	reads    sync.WaitGroup
	clients  []*kgo.Client
}

// NewBatchSubscriber returns a subscriber in consumer group group, as a
// dynamic member (Membership makes static ones), that starts where start
// says on partitions the group has no offset for.
func NewBatchSubscriber(c Config, group string, start Start, logger watermill.LoggerAdapter) (*BatchSubscriber, error) {
	return newBatchSubscriber(c, group, start, "", logger)
}

func newBatchSubscriber(c Config, group string, start Start, instance string, logger watermill.LoggerAdapter) (*BatchSubscriber, error) {
	if group == "" {
		return nil, errors.New("a batch subscriber needs a consumer group")
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	lifetime, stop := context.WithCancel(context.Background())
	return &BatchSubscriber{config: c, group: group, start: start, instance: instance, logger: logger, lifetime: lifetime, stop: stop}, nil
}

// Subscribe joins the group for topicName and returns its batches; the
// channel closes when ctx ends or the subscriber closes.
func (s *BatchSubscriber) Subscribe(ctx context.Context, topicName string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("the subscriber is closed")
	}
	client, err := kgo.NewClient(s.config.memberOptions(s.group, topicName, s.start, s.instance)...)
	if err != nil {
		return nil, &UnreachableError{Where: s.config.Where(), Err: err}
	}
	s.clients = append(s.clients, client)
	readCtx, cancel := context.WithCancel(ctx)
	context.AfterFunc(s.lifetime, cancel)
	out := make(chan *message.Message)
	s.reads.Add(1)
	go func() {
		defer s.reads.Done()
		defer cancel()
		s.read(readCtx, client, out)
	}()
	return out, nil
}

// read polls until ctx ends, handing each poll's batches to out and waiting
// for them before it polls again.
func (s *BatchSubscriber) read(ctx context.Context, client *kgo.Client, out chan<- *message.Message) {
	defer close(out)
	for {
		fetches := client.PollFetches(ctx)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			client.AllowRebalance()
			return
		}
		fetches.EachError(func(topicName string, partition int32, err error) {
			if !errors.Is(err, context.Canceled) {
				s.logger.Error("Fetch failed", err, watermill.LogFields{"topic": topicName, "partition": partition, "group": s.group})
			}
		})
		var batches []*Batch
		fetches.EachPartition(func(p kgo.FetchTopicPartition) {
			if len(p.Records) > 0 {
				batches = append(batches, &Batch{Topic: p.Topic, Partition: p.Partition, records: p.Records})
			}
		})
		var wg sync.WaitGroup
		for _, b := range batches {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.hand(ctx, client, b, out)
			}()
		}
		wg.Wait()
		client.AllowRebalance()
	}
}

// hand gives batch b to out until all of it is acked, marking for commit
// what the handler took; it gives up, with the rest unmarked, when ctx ends.
func (s *BatchSubscriber) hand(ctx context.Context, client *kgo.Client, b *Batch, out chan<- *message.Message) {
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
			client.MarkCommitRecords(b.records[len(b.records)-1])
			return
		case <-msg.Nacked():
		}
		if n := b.took; n > 0 {
			client.MarkCommitRecords(b.records[n-1])
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
	clients := s.clients
	s.mu.Unlock()
	s.stop()
	s.reads.Wait()
	// Leaving the group revokes every partition, and kgo commits what
	// was marked as it revokes.
	for _, client := range clients {
		client.Close()
	}
	return nil
}

package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"

	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/app/topic"
)

// ConsumerEventsHandler is the consumer process's permanent handler: it
// reads kds.events, so the router never runs out of handlers, and detaches
// subscriptions whose topic is deactivated.
const ConsumerEventsHandler = "kds-consumer-events"

// Sink receives what a consumer's subscriptions read, from several
// goroutines at once.
type Sink interface {
	// Deliver hands on messages of one partition, in order, and says how
	// many it took: all of them unless err is not nil. What it did not
	// take is not committed and comes again.
	Deliver([]content.Message) (int, error)
	// Notify tells the user of a change they did not ask for.
	Notify(format string, args ...any)
}

// SubscriberFactory makes the Kafka subscriber of one subscription, in the
// subscription's own consumer group: a kafka.BatchSubscriber, whose
// messages are batches of records; ctx bounds what it asks of Kafka.
type SubscriberFactory func(context.Context, subscription.Subscription) (message.Subscriber, error)

// Wanted lists the subscriptions a consumer should be running.
type Wanted func(ctx context.Context) ([]subscription.Subscription, error)

// Consumer runs one consumer's subscriptions as handlers of a router,
// adding and stopping them at runtime without touching the others: each
// subscription has a subscriber and consumer group of its own, so no
// rebalance of one disturbs another.
type Consumer struct {
	// lifetime bounds every subscription's handler; the context of a call
	// may be a message's, which ends when its handler returns.
	lifetime      context.Context
	id            subscription.ConsumerID
	router        *message.Router
	newSubscriber SubscriberFactory
	wanted        Wanted
	sink          Sink
	// changed is called, without locks held, after the set of attached
	// topics changed.
	changed func()

	mu       sync.Mutex
	attached map[string]attachment
}

type attachment struct {
	sub        subscription.Subscription
	handler    *message.Handler
	subscriber message.Subscriber
}

// NewConsumer runs consumer id's subscriptions on router, which must also
// run the handler AddConsumerEvents adds; lifetime bounds them all.
func NewConsumer(lifetime context.Context, id subscription.ConsumerID, router *message.Router, newSubscriber SubscriberFactory, wanted Wanted, sink Sink, changed func()) *Consumer {
	return &Consumer{lifetime: lifetime, id: id, router: router, newSubscriber: newSubscriber, wanted: wanted, sink: sink, changed: changed, attached: map[string]attachment{}}
}

// AddConsumerEvents adds the consumer's permanent handler, reading
// kds.events from sub, which must have no consumer group. An event that
// cannot be decoded is logged to log and skipped.
func AddConsumerEvents(r *message.Router, sub message.Subscriber, c *Consumer, log *slog.Logger) {
	r.AddConsumerHandler(ConsumerEventsHandler, topic.EventsTopic, sub, func(msg *message.Message) error {
		ev, err := decodeEvent(msg)
		if err != nil {
			partition, _ := wkafka.MessagePartitionFromCtx(msg.Context())
			offset, _ := wkafka.MessagePartitionOffsetFromCtx(msg.Context())
			log.Warn("skipped a malformed event", "topic", topic.EventsTopic, "partition", partition, "offset", offset, "error", err)
			return nil
		}
		c.onEvent(msg.Context(), ev)
		return nil
	})
}

func (c *Consumer) onEvent(ctx context.Context, ev topic.Event) {
	switch {
	case ev.Type == topic.TopicDeactivated || ev.Type == topic.TopicDeleted:
		if c.leave(ctx, ev.Topic) {
			c.sink.Notify("topic %s was deactivated by %s: unsubscribed", ev.Topic, ev.Actor)
		}
	case ev.Type == topic.SubscriptionChanged && ev.ConsumerID == string(c.id):
		// Another process of this consumer changed what it subscribes to:
		// follow, so that the processes keep sharing the same work.
		if err := c.follow(ctx, ev.Topic, ev.Subscription == topic.Unsubscribed); err != nil {
			c.sink.Notify("could not follow a subscription change of %s: %v", ev.Topic, err)
		}
	}
}

// leave detaches a topic an event says has left active, unless the API
// still has the consumer subscribed to it: a consumer process holds no key
// to verify events, and anyone who can write to kds.events can write one,
// so the event only prompts it to ask. When the API cannot be asked, it
// detaches, as the topic manager waits for that before it deletes the
// topic. It reports whether the topic was attached.
func (c *Consumer) leave(ctx context.Context, topicName string) bool {
	if !slices.Contains(c.Attached(), topicName) {
		return false
	}
	want, err := c.wanted(ctx)
	if err == nil && slices.ContainsFunc(want, func(s subscription.Subscription) bool { return s.Topic == topicName }) {
		return false
	}
	return c.Detach(topicName)
}

// follow brings one topic in line with the subscriptions the consumer
// should run after a change to it. Only that topic, and it detaches only
// what was unsubscribed: the event may be older than the subscriptions read
// now, and a topic deactivated in between is detached, with a notice, when
// its own event arrives.
func (c *Consumer) follow(ctx context.Context, topicName string, unsubscribed bool) error {
	want, err := c.wanted(ctx)
	if err != nil {
		return err
	}
	for _, s := range want {
		if s.Topic == topicName {
			return c.Attach(s)
		}
	}
	if unsubscribed {
		c.Detach(topicName)
	}
	return nil
}

// Attach starts consuming sub unless it already runs.
func (c *Consumer) Attach(sub subscription.Subscription) error {
	changed, err := c.attach(sub)
	if changed {
		c.changed()
	}
	return err
}

func (c *Consumer) attach(sub subscription.Subscription) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.attached[sub.Topic]
	if ok && a.sub.Group == sub.Group {
		return false, nil
	}
	changed := ok && c.detachLocked(sub.Topic)
	subscriber, err := c.newSubscriber(c.lifetime, sub)
	if err != nil {
		return changed, fmt.Errorf("subscribe to %s: %w", sub.Topic, err)
	}
	// Subscribe before the router sees the handler: a handler whose
	// Subscribe fails in RunHandlers stays registered, unstarted, and can
	// neither be stopped nor added again, and the router then never closes.
	subCtx, cancel := context.WithCancel(c.lifetime)
	messages, err := subscriber.Subscribe(subCtx, sub.Topic)
	if err != nil {
		cancel()
		_ = subscriber.Close()
		return changed, fmt.Errorf("subscribe to %s: %w", sub.Topic, err)
	}
	h := c.router.AddConsumerHandler(sub.Group, sub.Topic, subscribed{subscriber, messages, cancel}, c.deliver)
	if err := c.router.RunHandlers(c.lifetime); err != nil {
		cancel()
		_ = subscriber.Close()
		return changed, fmt.Errorf("subscribe to %s: %w", sub.Topic, err)
	}
	c.attached[sub.Topic] = attachment{sub: sub, handler: h, subscriber: subscriber}
	return true, nil
}

// deliver hands a batch of a subscription to the sink.
func (c *Consumer) deliver(msg *message.Message) error {
	b, ok := kafka.BatchOf(msg)
	if !ok {
		return fmt.Errorf("message %s is not a batch of records: a subscription needs a kafka.BatchSubscriber", msg.UUID)
	}
	n, err := c.sink.Deliver(b.Content())
	b.Took(n)
	return err
}

// subscribed hands the router a subscription opened already; it ends when
// the handler stops.
type subscribed struct {
	message.Subscriber
	messages <-chan *message.Message
	cancel   context.CancelFunc
}

func (s subscribed) Subscribe(ctx context.Context, _ string) (<-chan *message.Message, error) {
	context.AfterFunc(ctx, s.cancel)
	return s.messages, nil
}

// Detach stops consuming the topic, committing what was read; it reports
// whether the topic was attached.
func (c *Consumer) Detach(topicName string) bool {
	c.mu.Lock()
	ok := c.detachLocked(topicName)
	c.mu.Unlock()
	if ok {
		c.changed()
	}
	return ok
}

func (c *Consumer) detachLocked(topicName string) bool {
	a, ok := c.attached[topicName]
	if !ok {
		return false
	}
	a.handler.Stop()
	<-a.handler.Stopped()
	_ = a.subscriber.Close()
	delete(c.attached, topicName)
	return true
}

// Refresh attaches what the consumer should run and detaches the rest.
func (c *Consumer) Refresh(ctx context.Context) error {
	want, err := c.wanted(ctx)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	var errs []error
	for _, s := range want {
		keep[s.Topic] = true
		if err := c.Attach(s); err != nil {
			errs = append(errs, err)
		}
	}
	for _, t := range c.Attached() {
		if !keep[t] {
			c.Detach(t)
		}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// Attached lists the topics consumed now, sorted.
func (c *Consumer) Attached() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(maps.Keys(c.attached))
}

// Close detaches everything, committing what was read; the subscriptions
// stop side by side, as leaving a consumer group takes a while.
func (c *Consumer) Close() {
	c.mu.Lock()
	all := c.attached
	c.attached = map[string]attachment{}
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, a := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.handler.Stop()
			<-a.handler.Stopped()
			_ = a.subscriber.Close()
		}()
	}
	wg.Wait()
	if len(all) > 0 {
		c.changed()
	}
}

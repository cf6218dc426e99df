// Package consumer runs a process of a kds consumer: a Watermill router
// with one handler per subscription, each in a consumer group of its own,
// that follows the subscriptions the API keeps, detaches what is
// deactivated, and reports to the API what it consumes. kds consume and
// kds bench run it.
package consumer

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/google/uuid"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/handlers"
)

// Process is one running process of a consumer: a router with the
// consumer's subscriptions, reporting to the API what it consumes.
type Process struct {
	client   *apiclient.Client
	id       subscription.ConsumerID
	instance string
	host     string
	consumer *handlers.Consumer
	router   *message.Router
	changes  chan struct{}
	members  *kafka.Membership
	stop     context.CancelFunc
	done     chan struct{}
	consumed *consumedCounts // what the heartbeat reports: consumed.go
	// refused closes when the API refused the process's token; err says
	// how. heartbeat.go.
	refused chan struct{}
	err     error
}

// Start runs the router and resumes consumer id's subscriptions from their
// committed offsets; what they read goes to sink, and what the user should
// hear of that they did not ask about, such as a malformed event, goes to
// warnings as text.
func Start(ctx context.Context, client *apiclient.Client, kc kafka.Config, id subscription.ConsumerID, sink handlers.Sink, warnings io.Writer) (*Process, error) {
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 5 * time.Second}, watermill.NopLogger{})
	if err != nil {
		return nil, err
	}
	router.AddMiddleware(middleware.Recoverer)
	host, _ := os.Hostname()
	p := &Process{client: client, id: id, instance: uuid.NewString(), host: host, router: router,
		changes: make(chan struct{}, 1), members: kafka.NewMembership(kc), done: make(chan struct{}), refused: make(chan struct{})}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	p.stop = stop
	p.consumed = countConsumed(sink)
	p.consumer = handlers.NewConsumer(runCtx, id, router, subscriberFor(kc, p.members), p.Wanted, p.consumed, p.changed)
	events, err := kafka.NewSubscriber(kc, kafka.FromNewest, watermill.NopLogger{})
	if err != nil {
		stop()
		p.members.Close()
		return nil, err
	}
	handlers.AddConsumerEvents(router, events, p.consumer, slog.New(slog.NewTextHandler(warnings, &slog.HandlerOptions{Level: slog.LevelWarn})))
	routerDone := make(chan error, 1)
	go func() { routerDone <- router.Run(runCtx) }()
	select {
	case <-router.Running():
	case err := <-routerDone:
		stop()
		p.members.Close()
		return nil, fmt.Errorf("start the consumer: %w", err)
	}
	go func() {
		p.heartbeat(runCtx, p.consumed)
		<-routerDone
		close(p.done)
	}()
	if err := p.consumer.Refresh(ctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("resume the subscriptions of consumer %s: %w", id, err)
	}
	return p, nil
}

// subscriberFor makes each subscription's subscriber, in its own group.
func subscriberFor(kc kafka.Config, members *kafka.Membership) handlers.SubscriberFactory {
	return func(ctx context.Context, s subscription.Subscription) (message.Subscriber, error) {
		start := kafka.FromNewest
		if s.FromBeginning {
			start = kafka.FromOldest
		} else if err := members.StartAtNewest(ctx, s.Group, s.Topic); err != nil {
			// Without it, messages sent before the group's first
			// assignment, or while no process runs, could be skipped.
			return nil, err
		}
		return members.BatchSubscriber(s.Group, start, watermill.NopLogger{})
	}
}

// Wanted is the consumer's live subscriptions, as the API has them.
func (p *Process) Wanted(ctx context.Context) ([]subscription.Subscription, error) {
	c, err := p.client.Consumer(ctx, string(p.id))
	if err != nil {
		return nil, err
	}
	var subs []subscription.Subscription
	for _, s := range c.Subscriptions {
		if s.Live {
			subs = append(subs, s.Subscription)
		}
	}
	return subs, nil
}

func (p *Process) changed() {
	select {
	case p.changes <- struct{}{}:
	default:
	}
}

// ID is the consumer's id.
func (p *Process) ID() subscription.ConsumerID { return p.id }

// Attach starts consuming sub unless it already runs.
func (p *Process) Attach(sub subscription.Subscription) error { return p.consumer.Attach(sub) }

// Detach stops consuming a topic, committing what was read; it reports
// whether the topic was attached.
func (p *Process) Detach(topicName string) bool { return p.consumer.Detach(topicName) }

// Refused closes when the API refused the process's token; the process
// then consumes nothing more, and Err says why.
func (p *Process) Refused() <-chan struct{} { return p.refused }

// Err is why the API refused the process, once Refused is closed.
func (p *Process) Err() error {
	select {
	case <-p.refused:
		return p.err
	default:
		return nil
	}
}

// Refresh attaches what the consumer should run and detaches the rest.
func (p *Process) Refresh(ctx context.Context) error { return p.consumer.Refresh(ctx) }

// Attached lists the topics consumed now, sorted.
func (p *Process) Attached() []string { return p.consumer.Attached() }

// Close detaches every subscription, committing offsets, leaves the
// subscriptions' groups and says goodbye to the API.
func (p *Process) Close() {
	p.consumer.Close()
	p.stop()
	<-p.done
	p.members.Close()
	leaveCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = p.client.LeaveInstance(leaveCtx, string(p.id), p.instance)
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/google/uuid"

	"github.com/kds-io/kds/adapters/httpapi"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/handlers"
)

// consumerProcess is one running process of a consumer: a router with the
// consumer's subscriptions, reporting to the API what it consumes.
type consumerProcess struct {
	client   *httpapi.Client
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
}

// startConsumerProcess runs the router and resumes the consumer's
// subscriptions from their committed offsets; what the user should hear
// of that they did not ask about, such as a malformed event, goes to
// warnings as text.
func startConsumerProcess(ctx context.Context, client *httpapi.Client, kc kafka.Config, id subscription.ConsumerID, sink handlers.Sink, warnings io.Writer) (*consumerProcess, error) {
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 5 * time.Second}, watermill.NopLogger{})
	if err != nil {
		return nil, err
	}
	router.AddMiddleware(middleware.Recoverer)
	host, _ := os.Hostname()
	p := &consumerProcess{client: client, id: id, instance: uuid.NewString(), host: host, router: router,
		changes: make(chan struct{}, 1), members: kafka.NewMembership(kc), done: make(chan struct{})}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	p.stop = stop
	p.consumed = countConsumed(sink)
	p.consumer = handlers.NewConsumer(runCtx, id, router, subscriberFor(kc, p.members), p.wanted, p.consumed, p.changed)
	events, err := kafka.NewSubscriber(kc, "", kafka.FromNewest, watermill.NopLogger{})
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
		p.heartbeat(runCtx)
		<-routerDone
		close(p.done)
	}()
	if err := p.consumer.Refresh(ctx); err != nil {
		p.close()
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
		} else if err := kafka.StartAtNewest(ctx, kc, s.Group, s.Topic); err != nil {
			// Without it, messages sent before the group's first
			// assignment, or while no process runs, could be skipped.
			return nil, err
		}
		return members.Subscriber(s.Group, start, watermill.NopLogger{})
	}
}

// wanted is the consumer's live subscriptions, as the API has them.
func (p *consumerProcess) wanted(ctx context.Context) ([]subscription.Subscription, error) {
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

func (p *consumerProcess) changed() {
	select {
	case p.changes <- struct{}{}:
	default:
	}
}

// heartbeat tells the API every few seconds, and at once after a change,
// what this process consumes; the topic manager waits on it before it
// deletes a deactivated topic.
func (p *consumerProcess) heartbeat(ctx context.Context) {
	t := time.NewTicker(subscription.HeartbeatInterval)
	defer t.Stop()
	for {
		rep := httpapi.InstanceReport{Host: p.host, PID: os.Getpid(), Attached: p.consumer.Attached(), Consumed: p.consumed.totals()}
		_ = p.client.ReportInstance(ctx, string(p.id), p.instance, rep)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.changes:
		}
	}
}

// close detaches every subscription, committing offsets, and says goodbye.
func (p *consumerProcess) close() {
	p.consumer.Close()
	p.stop()
	<-p.done
	p.members.Close()
	leaveCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = p.client.LeaveInstance(leaveCtx, string(p.id), p.instance)
}

// printer writes received messages and notices from one goroutine, flushing
// whenever it has caught up, so a fast stream costs few writes.
type printer struct {
	out, notices io.Writer
	asJSON       bool
	lines        chan printed
	done         chan struct{}

	// limit, when positive, is how many messages to print: reached closes
	// once they are out, and later messages are refused, so they stay
	// uncommitted for the next run.
	limit   int64
	taken   atomic.Int64
	reached chan struct{}
}

type printed struct {
	msg    *content.Message
	notice string
	// prompt writes notice without ending the line.
	prompt bool
}

func newPrinter(out, notices io.Writer, asJSON bool, limit int64) *printer {
	p := &printer{out: out, notices: notices, asJSON: asJSON, lines: make(chan printed, 4096), done: make(chan struct{}),
		limit: limit, reached: make(chan struct{})}
	go p.run()
	return p
}

// errEnough refuses messages after --count of them were printed.
var errEnough = errors.New("printed as many messages as --count asked for")

// Deliver implements handlers.Sink.
func (p *printer) Deliver(m content.Message) error {
	if p.limit > 0 && p.taken.Add(1) > p.limit {
		return errEnough
	}
	p.lines <- printed{msg: &m}
	return nil
}

// Notify implements handlers.Sink.
func (p *printer) Notify(format string, args ...any) {
	p.lines <- printed{notice: fmt.Sprintf(format, args...)}
}

// Say prints a line of the user's own conversation.
func (p *printer) Say(format string, args ...any) { p.Notify(format, args...) }

func (p *printer) run() {
	defer close(p.done)
	w := bufio.NewWriterSize(p.out, 64*1024)
	enc := json.NewEncoder(w)
	var printed int64
	for l := range p.lines {
		if l.msg != nil {
			printed++
		}
		switch {
		case l.msg == nil && p.asJSON:
			w.Flush()
			writeNotice(p.notices, l)
		case l.msg == nil:
			writeNotice(w, l)
		case p.asJSON:
			_ = enc.Encode(l.msg)
		default:
			writeMessage(w, *l.msg)
		}
		if len(p.lines) == 0 || printed == p.limit {
			w.Flush()
		}
		if printed == p.limit && l.msg != nil {
			close(p.reached)
		}
	}
	w.Flush()
}

// Prompt asks for the next command, after everything said so far, where
// notices go: never into the messages of -o json.
func (p *printer) Prompt(prompt string) { p.lines <- printed{notice: prompt, prompt: true} }

func writeNotice(w io.Writer, l printed) {
	if l.prompt {
		fmt.Fprint(w, visibleLines(l.notice))
		return
	}
	fmt.Fprintln(w, visibleLines(l.notice))
}

// close prints what is left.
func (p *printer) close() {
	close(p.lines)
	<-p.done
}

func writeMessage(w io.Writer, m content.Message) {
	from := "another Kafka client"
	if m.Producer != "" {
		from = m.Producer
	}
	when := m.Timestamp
	if !m.SentAt.IsZero() {
		when = m.SentAt
	}
	fmt.Fprintf(w, "[%s] %s\n", visible(m.Topic), visible(m.Value))
	fmt.Fprintf(w, "    from %s, sent %s (partition %d, offset %d)\n", visible(from), when.Local().Format("2006-01-02 15:04:05.000"), m.Partition, m.Offset)
}

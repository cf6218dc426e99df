package main

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/app/topic"
	"github.com/kds-io/kds/cmd/kds/internal/consumer"
	"github.com/kds-io/kds/cmd/kds/internal/lineedit"
)

func newConsumeCommand(g *globals) *cobra.Command {
	var (
		id            string
		topics        []string
		fromBeginning bool
		count         int64
		kf            kafkaFlags
	)
	cmd := &cobra.Command{
		Use:   "consume --id ID",
		Short: "Run a consumer: subscribe and unsubscribe at runtime, or stream topics with --topics",
		Long: `Run consumer ID. Its subscriptions are kept by kds, so a consumer started
again resumes them where it left off, and processes started with the same
ID share the work. Without --topics it takes commands on standard input:

  list                        active topics
  subscribed                  this consumer's subscriptions
  subscribe TOPIC [TOPIC...]  subscribe (new messages only, or all with --from-beginning)
  unsubscribe TOPIC           unsubscribe
  refresh                     follow changes made elsewhere
  help, quit

On a terminal it prompts "> " and edits lines with history (up and
down); Ctrl-C cancels the line or the command under way, Ctrl-D quits.

With --topics it subscribes to those topics and prints what arrives, one
JSON object per message with -o json, until interrupted (or --count
messages). Its subscriptions stay, so the next run resumes where this one
stopped; kds unsubscribe --id ID TOPIC... ends them. A topic that is
deactivated is dropped before it is deleted, with a notice.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id == "" {
				return &usageError{msg: "--id is required: the consumer's id, under which kds keeps its subscriptions (kds consume --id ID)"}
			}
			cid, err := subscription.ParseConsumerID(id)
			if err != nil {
				return &usageError{msg: "--id: " + err.Error()}
			}
			if err := flagAtLeast("--count", count, 0); err != nil {
				return err
			}
			if count > 0 && len(topics) == 0 {
				return &usageError{msg: "--count works only with --topics"}
			}
			client, err := g.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			kc, err := kf.config(ctx, g, client)
			if err != nil {
				return err
			}
			// Only the interactive consumer reads the terminal: a stream
			// leaves it as it is, so Ctrl-C interrupts it as any program.
			stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			var ed *lineedit.Editor
			if len(topics) == 0 {
				if ed, err = lineEditor(cmd); err != nil {
					return err
				}
				defer ed.Close()
				stdout, stderr = ed.Output(stdout), ed.Output(stderr)
			}
			out := newPrinter(stdout, stderr, g.output == "json", count)
			proc, err := consumer.Start(ctx, client, kc, cid, out, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer proc.Close()
			// A refused token ends the session: what it consumed would
			// go unseen by kds. So does an output that refuses writes:
			// nothing more could be printed, and nothing unprinted is
			// committed.
			ctx, stop := context.WithCancel(ctx)
			defer stop()
			go func() {
				select {
				case <-proc.Refused():
					stop()
				case <-out.failed:
					stop()
				case <-ctx.Done():
				}
			}()
			c := consoleSession{client: client, proc: proc, out: out, fromBeginning: fromBeginning}
			if len(topics) > 0 {
				if err := c.subscribe(ctx, trimAll(topics), true); err != nil {
					if ctx.Err() != nil {
						// Stopped while it subscribed, by Ctrl-C or
						// for a reason the process or output gives.
						return cmp.Or(proc.Err(), out.Err())
					}
					return cmp.Or(proc.Err(), err)
				}
				select {
				case <-ctx.Done():
				case <-out.reached:
				}
				return cmp.Or(proc.Err(), out.Err())
			}
			if err := c.run(ctx, ed); err != nil {
				return cmp.Or(out.Err(), err)
			}
			return cmp.Or(proc.Err(), out.Err())
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "consumer id; processes with the same id share its subscriptions")
	cmd.Flags().StringSliceVar(&topics, "topics", nil, "subscribe to these topics and stream, without commands")
	cmd.Flags().BoolVar(&fromBeginning, "from-beginning", false, "new subscriptions start at the oldest retained message")
	cmd.Flags().Int64Var(&count, "count", 0, "with --topics: exit after printing this many messages (the rest stay unread)")
	kf.register(cmd)
	return cmd
}

// consoleSession is the interactive consumer.
type consoleSession struct {
	client        *apiclient.Client
	proc          *consumer.Process
	out           *printer
	fromBeginning bool
}

const consumerHelp = `Commands:
  list                        active topics
  subscribed                  this consumer's subscriptions
  subscribe TOPIC [TOPIC...]  subscribe to topics
  unsubscribe TOPIC           unsubscribe from a topic
  refresh                     follow subscription changes made elsewhere
  help                        this text
  quit                        stop, keeping the subscriptions for next time`

func (c consoleSession) run(ctx context.Context, ed *lineedit.Editor) error {
	c.out.Say("consumer %s ready; type help for commands", c.proc.ID())
	return repl(ctx, ed, c.out, func(ctx context.Context, line string) bool {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			return true
		}
		switch fields[0] {
		case "list":
			c.list(ctx)
		case "subscribed":
			c.subscribed(ctx)
		case "subscribe":
			if len(fields) < 2 {
				c.out.Say("usage: subscribe TOPIC [TOPIC...]")
				return true
			}
			_ = c.subscribe(ctx, fields[1:], false)
		case "unsubscribe":
			if len(fields) != 2 {
				c.out.Say("usage: unsubscribe TOPIC")
				return true
			}
			c.unsubscribe(ctx, fields[1])
		case "refresh":
			if err := c.proc.Refresh(ctx); err != nil {
				c.out.Say("✗ refresh: %v", err)
				return true
			}
			c.subscribed(ctx)
		case "help":
			c.out.Say("%s", consumerHelp)
		case "quit", "exit":
			return false
		default:
			c.out.Say("unknown command %q; type help", fields[0])
		}
		return true
	})
}

// subscribe subscribes to each topic; strict makes any refusal an error.
func (c consoleSession) subscribe(ctx context.Context, topics []string, strict bool) error {
	for _, t := range topics {
		sub, err := c.client.Subscribe(ctx, string(c.proc.ID()), t, c.fromBeginning)
		if err == nil {
			err = c.proc.Attach(sub)
		}
		if err != nil {
			if strict {
				return fmt.Errorf("subscribe to %s: %w", t, err)
			}
			c.out.Say("✗ %s: %v", t, err)
			continue
		}
		c.out.Say("✓ subscribed to %s", t)
	}
	return nil
}

func (c consoleSession) unsubscribe(ctx context.Context, t string) {
	if err := c.client.Unsubscribe(ctx, string(c.proc.ID()), t); err != nil {
		c.out.Say("✗ %s: %v", t, err)
		return
	}
	c.proc.Detach(t)
	c.out.Say("✓ unsubscribed from %s", t)
}

func (c consoleSession) list(ctx context.Context) {
	topics, err := c.client.Topics(ctx, topic.Active)
	if err != nil {
		c.out.Say("✗ %v", err)
		return
	}
	if len(topics) == 0 {
		c.out.Say("no active topics")
		return
	}
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = t.Name
	}
	c.out.Say("active topics: %s", strings.Join(names, ", "))
}

// subscribedNames names the topics of subs, and says how far behind each
// subscription of consumer is whose oldest unread message, as lags have
// it, waits for more than behindAfter.
func subscribedNames(consumer subscription.ConsumerID, subs []subscription.Subscription, lags []apiv1.SubscriptionLag) []string {
	behind := map[string]content.Lag{}
	for _, l := range lags {
		if l.Consumer == string(consumer) && l.Total > 0 && l.Seconds > behindAfter.Seconds() {
			behind[l.Topic] = l.Lag
		}
	}
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.Topic
		if l, ok := behind[s.Topic]; ok {
			names[i] += " (behind by " + lagText(l) + ")"
		}
	}
	return names
}

// behindAfter is how old the oldest unread message of a subscription is
// before the console says the subscription is behind, as the dashboard
// does.
const behindAfter = time.Minute

func (c consoleSession) subscribed(ctx context.Context) {
	subs, err := c.proc.Wanted(ctx)
	if err != nil {
		c.out.Say("✗ %v", err)
		return
	}
	if len(subs) == 0 {
		c.out.Say("not subscribed to any topic")
		return
	}
	// Lag is the API's latest reading, when it has one.
	var lags []apiv1.SubscriptionLag
	if report, err := c.client.Usage(ctx); err == nil {
		lags = report.Subscriptions
	}
	names := subscribedNames(c.proc.ID(), subs, lags)
	c.out.Say("subscribed to: %s", strings.Join(names, ", "))
}

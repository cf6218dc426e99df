package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/topic"
	"github.com/kds-io/kds/cmd/kds/internal/lineedit"
	"github.com/kds-io/kds/cmd/kds/internal/producer"
)

func newProduceCommand(g *globals) *cobra.Command {
	var kf kafkaFlags
	cmd := &cobra.Command{
		Use:   "produce",
		Short: "The interactive producer: create topics and send messages to active ones",
		Long: `Commands, read line by line from standard input:

  create TOPIC            request a topic (an admin approves it)
  send TOPIC MESSAGE...   send a message to an active topic
  list                    all topics and their status
  active                  the topics that take messages now
  help, quit

It learns of activations and deactivations as they happen, and says so.
One goroutine reads your input, another publishes. On a terminal it
prompts "> " and edits lines with history (up and down); Ctrl-C cancels
the line or the command under way, Ctrl-D quits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			me, err := client.Whoami(ctx)
			if err != nil {
				return err
			}
			kc, err := kf.config(ctx, g, client)
			if err != nil {
				return err
			}
			// Read events before listing, so that no change falls in between.
			events, err := watchEvents(ctx, kc)
			if err != nil {
				return err
			}
			topics, err := client.Topics(ctx, topic.Active)
			if err != nil {
				return err
			}
			names := make([]string, len(topics))
			for i, t := range topics {
				names[i] = t.Name
			}
			pub, err := kafka.NewBatchPublisher(kc, producer.KeyField)
			if err != nil {
				return err
			}
			defer pub.Close()
			ed, err := lineEditor(cmd)
			if err != nil {
				return err
			}
			defer ed.Close()
			out := newPrinter(ed.Output(cmd.OutOrStdout()), ed.Output(cmd.ErrOrStderr()), false, 0)
			p := producerSession{client: client, active: content.NewActiveTopics(names), out: out,
				send: producer.New(pub, "", me.Name, "")}
			go p.follow(ctx, events)
			return p.run(ctx, ed)
		},
	}
	kf.register(cmd)
	return cmd
}

// producerSession is the interactive producer.
type producerSession struct {
	client *apiclient.Client
	active *content.ActiveTopics
	out    *printer
	send   producer.Producer
}

// sendJob is a message for the publisher goroutine.
type sendJob struct {
	topic, value string
}

const producerHelp = `Commands:
  create TOPIC            request a topic; an admin approves it
  send TOPIC MESSAGE...   send a message to an active topic
  list                    all topics and their status
  active                  the topics that take messages now
  help                    this text
  quit                    stop`

// follow keeps the active topics current and tells the user of changes.
// A producer holds no key to verify events, and anyone who can write to
// kds.events can write one: a transition event only prompts it to ask the
// API where the topic is now.
func (p producerSession) follow(ctx context.Context, events <-chan topic.Event) {
	for ev := range events {
		if _, transition := ev.Type.Action(); !transition {
			continue
		}
		err := activeTopic(ctx, p.client, ev.Topic)
		var inactive *content.NotActiveError
		if err != nil && !errors.As(err, &inactive) {
			p.out.Say("✗ could not ask the API about topic %s: %v", ev.Topic, err)
			continue
		}
		if p.active.Set(ev.Topic, err == nil) {
			if err == nil {
				p.out.Say("• topic %s is now active", ev.Topic)
			} else {
				p.out.Say("• topic %s is no longer active", ev.Topic)
			}
		}
	}
}

func (p producerSession) run(ctx context.Context, ed *lineedit.Editor) error {
	jobs := make(chan sendJob, 64)
	published := make(chan struct{})
	go p.publish(jobs, published)
	defer func() {
		close(jobs)
		<-published
	}()
	p.out.Say("producer ready; type help for commands")
	return repl(ctx, ed, p.out, func(ctx context.Context, line string) bool {
		cmd, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		rest = strings.TrimSpace(rest)
		switch cmd {
		case "":
		case "create":
			p.create(ctx, rest)
		case "send":
			name, value, ok := strings.Cut(rest, " ")
			if !ok || name == "" {
				p.out.Say("usage: send TOPIC MESSAGE")
				return true
			}
			if !p.active.IsActive(name) {
				p.out.Say("✗ %v", p.whyNotActive(ctx, name))
				return true
			}
			jobs <- sendJob{topic: name, value: value}
		case "list":
			p.list(ctx)
		case "active":
			if names := p.active.List(); len(names) > 0 {
				p.out.Say("active topics: %s", strings.Join(names, ", "))
			} else {
				p.out.Say("no active topics")
			}
		case "help":
			p.out.Say("%s", producerHelp)
		case "quit", "exit":
			return false
		default:
			p.out.Say("unknown command %q; type help", cmd)
		}
		return true
	})
}

// publish is the publisher goroutine: it sends each job and reports.
func (p producerSession) publish(jobs <-chan sendJob, done chan<- struct{}) {
	defer close(done)
	for j := range jobs {
		if err := p.send.To(j.topic).Send([]byte(j.value)); err != nil {
			p.out.Say("✗ not sent to %s: %v", j.topic, err)
			continue
		}
		p.out.Say("✓ sent to %s", j.topic)
	}
}

// whyNotActive explains, with the API's view, why a topic takes nothing.
func (p producerSession) whyNotActive(ctx context.Context, name string) error {
	err := activeTopic(ctx, p.client, name)
	var inactive *content.NotActiveError
	if err == nil || !errors.As(err, &inactive) {
		// The API has it active and the event is on its way.
		return fmt.Errorf("topic %q is becoming active; try again in a moment", name)
	}
	return err
}

func (p producerSession) create(ctx context.Context, name string) {
	if name == "" {
		p.out.Say("usage: create TOPIC")
		return
	}
	resp, err := p.client.RequestTopic(ctx, apiv1.TopicRequest{Name: name})
	if err == nil {
		_, err = awaitCommand(ctx, p.client, resp.Command, time.Now().Add(30*time.Second))
	}
	if err != nil {
		p.out.Say("✗ %s: %v", name, err)
		return
	}
	p.out.Say("✓ topic %s created with status: pending (an admin approves it)", name)
}

func (p producerSession) list(ctx context.Context) {
	topics, err := p.client.Topics(ctx, "")
	if err != nil {
		p.out.Say("✗ %v", err)
		return
	}
	if len(topics) == 0 {
		p.out.Say("no topics yet")
		return
	}
	var b strings.Builder
	for _, t := range topics {
		fmt.Fprintf(&b, "  %-30s %s\n", t.Name, t.Status)
	}
	p.out.Say("%s", strings.TrimRight(b.String(), "\n"))
}

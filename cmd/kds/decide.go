package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
)

// decision is approve, reject or deactivate, and what follows it in Kafka.
type decision struct {
	action string
	// done is what the topic is once the command is applied.
	done string
	// effect, when set, is the status the topic manager moves the topic out
	// of, and what the topic then is.
	effect     topic.Status
	effectDone string
	// destroys says the decision ends in deleting data, so it is confirmed.
	destroys bool
	// needsReason says the decision is made only with a reason: a
	// rejection's requester is told why.
	needsReason bool
}

var (
	approval     = decision{action: "approve", done: "approved", effect: topic.Approved, effectDone: "active in Kafka"}
	rejection    = decision{action: "reject", done: "rejected", needsReason: true}
	deactivation = decision{action: "deactivate", done: "deactivated", effect: topic.Inactive, effectDone: "deleted from Kafka", destroys: true}
)

// newDecisionCommand builds the approve, reject and deactivate verbs, which
// differ only in what they decide and whether that destroys data.
func newDecisionCommand(g *globals, d decision, short string) *cobra.Command {
	var (
		reason string
		yes    bool
		w      waitFlags
	)
	cmd := &cobra.Command{
		Use:   d.action + " TOPIC...",
		Short: short,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, names []string) error {
			if err := d.checkReason(reason); err != nil {
				return &usageError{msg: "--reason: " + err.Error()}
			}
			client, err := g.client()
			if err != nil {
				return err
			}
			if d.destroys && !yes {
				if err := allActive(cmd.Context(), client, names); err != nil {
					return err
				}
				if err := confirm(cmd.InOrStdin(), cmd.ErrOrStderr(), fmt.Sprintf(
					"Deactivate %s? Producers and consumers are cut off and the data is deleted from Kafka. [y/N] ", strings.Join(names, ", "))); err != nil {
					return err
				}
			}
			return decide(cmd.Context(), client, cmd.OutOrStdout(), d, names, reason, w, g.output == "json")
		},
	}
	if d.needsReason {
		cmd.Flags().StringVar(&reason, "reason", "", "why, for the requester and the audit trail (required)")
	} else {
		cmd.Flags().StringVar(&reason, "reason", "", "why, for the audit trail")
	}
	if d.destroys {
		cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation (needed when not on a terminal)")
	}
	w.register(cmd)
	return cmd
}

// allActive refuses, before anyone is asked to confirm deleting their
// data, topics that are not active: none of them is deactivated.
func allActive(ctx context.Context, client *apiclient.Client, names []string) error {
	var errs []error
	for _, name := range names {
		t, err := client.Topic(ctx, name)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		case t.Status != topic.Active:
			errs = append(errs, fmt.Errorf("%s: topic %q is %s, not active: nothing to deactivate", name, name, t.Status))
		}
	}
	return errors.Join(errs...)
}

// checkReason refuses a decision that needs a reason without one.
func (d decision) checkReason(reason string) error {
	if d.needsReason && strings.TrimSpace(reason) == "" {
		return fmt.Errorf("a reason is required to %s: the requester is told why", d.action)
	}
	return nil
}

// outcome is what became of one topic. -o json of topic request, approve,
// reject and deactivate prints a list of them, one per topic named: the
// command's fields (id, type, topic, status, ...), the topic's state once
// the command took effect, and the error that stopped it. "command"
// repeats the command's fields, as approve printed them before, for the
// scripts written then.
type outcome struct {
	*query.Command
	Topic           string         `json:"topic"`
	State           *query.Topic   `json:"state,omitempty"`
	Error           string         `json:"error,omitempty"`
	CommandAsBefore *query.Command `json:"command,omitempty"`
}

// newOutcome is the outcome of cmd for topic name.
func newOutcome(name string, cmd *query.Command) outcome {
	return outcome{Command: cmd, Topic: name, CommandAsBefore: cmd}
}

// decide issues d for every name and waits for the outcomes, printing a
// line per step; it fails when any topic did not get where it was sent.
func decide(ctx context.Context, client *apiclient.Client, out io.Writer, d decision, names []string, reason string, w waitFlags, asJSON bool) error {
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		outcomes = make([]outcome, len(names))
		failed   int
	)
	say := func(format string, args ...any) {
		if asJSON {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(out, visibleLines(fmt.Sprintf(format, args...)))
	}
	if len(names) == 1 && !asJSON {
		_, err := decideOne(ctx, client, d, names[0], reason, w, say)
		if err != nil {
			return fmt.Errorf("%s: %w", names[0], err)
		}
		return nil
	}
	sem := make(chan struct{}, 16)
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			o, err := decideOne(ctx, client, d, name, reason, w, say)
			if err != nil {
				o.Error = err.Error()
				say("%s: %v", name, err)
				mu.Lock()
				failed++
				mu.Unlock()
			}
			outcomes[i] = o
		}()
	}
	wg.Wait()
	if asJSON {
		if err := printJSON(out, outcomes); err != nil {
			return err
		}
	}
	if failed > 0 {
		return &reportedError{fmt.Sprintf("%d of %d topics could not be %s", failed, len(names), d.done)}
	}
	return nil
}

// reportedError ends a command whose details were already printed.
type reportedError struct{ msg string }

func (e *reportedError) Error() string { return e.msg }

func decideOne(ctx context.Context, client *apiclient.Client, d decision, name, reason string, w waitFlags, say func(string, ...any)) (outcome, error) {
	o := outcome{Topic: name}
	cmd, err := client.Decide(ctx, name, d.action, reason)
	if err != nil {
		return o, err
	}
	o = newOutcome(name, &cmd)
	if w.noWait {
		say("%s: %s queued (command %s)", name, d.action, cmd.ID)
		return o, nil
	}
	deadline := time.Now().Add(w.wait)
	settled, err := awaitCommand(ctx, client, cmd, deadline)
	o = newOutcome(name, &settled)
	if err != nil {
		return o, err
	}
	say("%s: %s", name, d.done)
	if d.effect == "" {
		return o, nil
	}
	t, err := awaitTopic(ctx, client, name, d.effect, deadline, d.effectDone)
	o.State = &t
	if err != nil {
		return o, err
	}
	say("%s: %s", name, describeEffect(t, d))
	return o, nil
}

func describeEffect(t query.Topic, d decision) string {
	if t.Status == topic.Active {
		return fmt.Sprintf("%s (%d partitions, replication factor %d)", d.effectDone, t.Partitions, t.ReplicationFactor)
	}
	return d.effectDone
}

// awaitCommand waits until the command is settled and fails unless it was
// applied.
func awaitCommand(ctx context.Context, client *apiclient.Client, cmd query.Command, deadline time.Time) (query.Command, error) {
	got, err := client.Command(ctx, cmd.ID, max(time.Until(deadline), time.Millisecond))
	if err != nil {
		return cmd, err
	}
	switch got.Status {
	case command.Applied:
		return got, nil
	case command.Rejected:
		return got, errors.New(got.Error)
	case command.Failed:
		return got, fmt.Errorf("failed: %s", got.Error)
	}
	return got, fmt.Errorf("no outcome within --wait: command %s is still queued (are the lifecycle and forwarder roles running?)", cmd.ID)
}

// awaitTopic waits until the topic manager has moved the topic out of while.
func awaitTopic(ctx context.Context, client *apiclient.Client, name string, while topic.Status, deadline time.Time, goal string) (query.Topic, error) {
	t, err := client.WaitTopic(ctx, name, while, max(time.Until(deadline), time.Millisecond))
	if err != nil {
		return t, err
	}
	if t.Error != "" {
		return t, fmt.Errorf("the topic manager could not finish: %s", t.Error)
	}
	if t.Status == while {
		return t, fmt.Errorf("still %s within --wait, not yet %s (is a topic-manager role running?)", while, goal)
	}
	return t, nil
}

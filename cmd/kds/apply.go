package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/declaration"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
)

func newApplyCommand(g *globals) *cobra.Command {
	var (
		f       declarationFlags
		approve bool
		yes     bool
		reason  string
		w       waitFlags
	)
	cmd := &cobra.Command{
		Use:   "apply -f PATH",
		Short: "Make kds's topics what a declaration says, through ordinary commands",
		Long: `Plan as kds plan does, then issue the changes as ordinary kds commands, so
that they show in each topic's history: new topics are requested (and wait
for an admin's approval, unless the caller is an admin and gives
--approve), active topics are updated (an admin's change: more
partitions, other configs, owner or description), and with --prune the
declared owners' topics no longer declared are ended (deactivated, which
deletes their data: confirm, or --yes). Nothing is issued while a change
cannot be made. Applying twice changes nothing, and two applies of one
declaration at once issue each change once.

It waits for every outcome (--wait, --no-wait) and reports them all; it
exits 1 when any change did not happen.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			p, err := f.plan(ctx, client)
			if err != nil {
				return err
			}
			if r := p.Refused(); len(r) > 0 {
				printPlan(cmd.ErrOrStderr(), p)
				return &reportedError{fmt.Sprintf("%d change(s) cannot be made, so none was applied: change the declaration", len(r))}
			}
			if ends := endings(p); len(ends) > 0 && !yes {
				if err := confirm(cmd.InOrStdin(), cmd.ErrOrStderr(), fmt.Sprintf(
					"Deactivate %s? Producers and consumers are cut off and the data is deleted from Kafka. [y/N] ", strings.Join(ends, ", "))); err != nil {
					return err
				}
			}
			a := applier{client: client, out: cmd.OutOrStdout(), asJSON: g.output == "json", approve: approve, wait: w,
				reason: cmp.Or(reason, "kds apply -f "+f.path)}
			return a.apply(ctx, p)
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&approve, "approve", false, "approve the topics requested as well (admin)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask before deactivating topics (needed when not on a terminal)")
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the audit trail (default: kds apply -f PATH)")
	w.register(cmd)
	return cmd
}

// endings are the topics a plan deactivates.
func endings(p declaration.Plan) []string {
	var names []string
	for _, c := range p.Changes {
		if c.Action == declaration.Deactivate {
			names = append(names, c.Topic)
		}
	}
	return names
}

// applier issues a plan's changes and waits for their outcomes.
type applier struct {
	client  *apiclient.Client
	out     io.Writer
	asJSON  bool
	approve bool
	wait    waitFlags
	reason  string

	mu sync.Mutex
}

// applied is what became of one change.
type applied struct {
	Topic  string             `json:"topic"`
	Action declaration.Action `json:"action"`
	// Outcome says where the topic got to; Error why it did not.
	Outcome string `json:"outcome,omitempty"`
	Error   string `json:"error,omitempty"`

	change declaration.Change
	// cmd is the last command issued for the change; raced is set when
	// another change got there first and none was needed.
	cmd   query.Command
	raced bool
}

// batchSize bounds the commands of one request to the API.
const batchSize = 1000

func (a *applier) apply(ctx context.Context, p declaration.Plan) error {
	var todo []*applied
	var cmds []apiv1.BatchCommand
	for _, c := range p.Changes {
		bc, ok := a.command(c)
		if !ok {
			continue
		}
		todo, cmds = append(todo, &applied{Topic: c.Topic, Action: c.Action, change: c}), append(cmds, bc)
	}
	if len(todo) == 0 {
		a.say("Nothing to apply: every topic is as declared.")
		return a.report(nil)
	}
	a.issue(ctx, todo, cmds, false)
	deadline := time.Now().Add(a.wait.wait)
	if a.approve {
		a.approveRequested(ctx, todo, deadline)
	}
	if !a.wait.noWait {
		a.await(ctx, todo, deadline)
	}
	return a.report(todo)
}

// command is the command that makes change c; false for none.
func (a *applier) command(c declaration.Change) (apiv1.BatchCommand, bool) {
	bc := apiv1.BatchCommand{Topic: c.Topic, Reason: a.reason}
	switch c.Action {
	case declaration.Request, declaration.Update:
		bc.Type = command.RequestTopicType
		if c.Action == declaration.Update {
			bc.Type = command.UpdateTopicType
		}
		d := c.Declared
		bc.Partitions, bc.ReplicationFactor, bc.Configs = d.Spec.Partitions, d.Spec.ReplicationFactor, d.Spec.Configs
		bc.Owner, bc.Description = d.Details.Owner, d.Details.Description
		bc.Producers, bc.Consumers = d.Details.Producers, d.Details.Consumers
	case declaration.Deactivate:
		bc.Type = command.DeactivateTopicType
	case declaration.Reject:
		bc.Type = command.RejectTopicType
	default:
		return bc, false
	}
	return bc, true
}

// issue queues the commands in batches. A batch the API refuses because a
// topic moved since the plan, as when another apply of the same
// declaration got there first, is sent again one command at a time, and
// a command refused where the topic is already as the change leads needs
// none.
func (a *applier) issue(ctx context.Context, todo []*applied, cmds []apiv1.BatchCommand, approving bool) {
	for start := 0; start < len(cmds); start += batchSize {
		end := min(start+batchSize, len(cmds))
		queued, err := a.client.Batch(ctx, apiv1.BatchRequest{Commands: cmds[start:end]})
		if err == nil {
			for i, q := range queued {
				todo[start+i].cmd = q
			}
			continue
		}
		var apiErr *apiclient.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict {
			for _, t := range todo[start:end] {
				t.Error = err.Error()
			}
			continue
		}
		for i := start; i < end; i++ {
			queued, err := a.client.Batch(ctx, apiv1.BatchRequest{Commands: cmds[i : i+1]})
			switch {
			case err == nil:
				todo[i].cmd = queued[0]
			case a.reached(ctx, todo[i], approving):
				todo[i].raced = true
			default:
				todo[i].Error = err.Error()
			}
		}
	}
}

// reached reports whether the topic of t is where its change leads (and
// approved, when approving), so that a refused or rejected command was
// not needed.
func (a *applier) reached(ctx context.Context, t *applied, approving bool) bool {
	have, err := a.client.Topic(ctx, t.Topic)
	if err != nil || !t.change.ReachedBy(have) {
		return false
	}
	return !approving || have.Status == topic.Approved || have.Status == topic.Active
}

// approveRequested approves the topics this apply requested (or found
// requested as declared), once the requests are applied.
func (a *applier) approveRequested(ctx context.Context, todo []*applied, deadline time.Time) {
	var (
		reqs []*applied
		cmds []apiv1.BatchCommand
	)
	concurrently(todo, 64, func(t *applied) {
		if t.Action == declaration.Request && t.Error == "" {
			a.settle(ctx, t, false, deadline)
		}
	})
	for _, t := range todo {
		if t.Action == declaration.Request && t.Error == "" {
			t.raced = false
			reqs, cmds = append(reqs, t), append(cmds, apiv1.BatchCommand{Type: command.ApproveTopicType, Topic: t.Topic, Reason: a.reason})
		}
	}
	a.issue(ctx, reqs, cmds, true)
}

// settle waits until t's command is applied; a command rejected where the
// topic is already as the change leads was not needed.
func (a *applier) settle(ctx context.Context, t *applied, approving bool, deadline time.Time) {
	if t.raced || t.cmd.ID == "" {
		return
	}
	settled, err := awaitCommand(ctx, a.client, t.cmd, deadline)
	t.cmd = settled
	switch {
	case err == nil:
	case settled.Status == command.Rejected && a.reached(ctx, t, approving):
		t.raced = true
	default:
		t.Error = err.Error()
	}
}

// await waits for each change's outcome, many at once.
func (a *applier) await(ctx context.Context, todo []*applied, deadline time.Time) {
	concurrently(todo, 64, func(t *applied) {
		if t.Error != "" {
			return
		}
		a.settle(ctx, t, a.approve && t.Action == declaration.Request, deadline)
		if t.Error != "" {
			return
		}
		outcome, err := a.outcome(ctx, t, deadline)
		if err != nil {
			t.Error = err.Error()
			return
		}
		t.Outcome = outcome
	})
}

// outcome waits for the effect of t's applied command and says what it
// was.
func (a *applier) outcome(ctx context.Context, t *applied, deadline time.Time) (string, error) {
	already := ""
	if t.raced {
		already = " already"
	}
	switch t.Action {
	case declaration.Request:
		if !a.approve {
			return "requested" + already + ", pending approval", nil
		}
		tp, err := awaitTopic(ctx, a.client, t.Topic, topic.Approved, deadline, "active in Kafka")
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("requested and approved%s, active in Kafka (%d partitions)", already, tp.Partitions), nil
	case declaration.Update:
		if t.raced {
			return "updated already", nil
		}
		tp, err := a.client.Topic(ctx, t.Topic)
		if err != nil {
			return "", err
		}
		id, err := command.KafkaUpdateID(t.Topic, tp.Generation, t.cmd.ID)
		if err != nil {
			return "", err
		}
		if err := awaitInternalCommand(ctx, a.client, id, deadline); err != nil {
			return "", fmt.Errorf("updated in kds, not in Kafka: %w", err)
		}
		return "updated in Kafka", nil
	case declaration.Deactivate:
		if _, err := awaitTopic(ctx, a.client, t.Topic, topic.Inactive, deadline, "deleted from Kafka"); err != nil {
			return "", err
		}
		return "deactivated" + already + ", deleted from Kafka", nil
	}
	return "rejected" + already, nil
}

// awaitInternalCommand waits for a command the topic manager issues
// itself, which is unknown until it takes the command up.
func awaitInternalCommand(ctx context.Context, client *apiclient.Client, id string, deadline time.Time) error {
	for {
		_, err := awaitCommand(ctx, client, query.Command{Command: command.Command{ID: id}}, deadline)
		var apiErr *apiclient.APIError
		if err == nil || !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("no outcome within --wait (is a topic-manager role running?)")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (a *applier) say(format string, args ...any) {
	if a.asJSON {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintln(a.out, visibleLines(fmt.Sprintf(format, args...)))
}

// report prints every change's outcome and fails when any did not happen.
func (a *applier) report(todo []*applied) error {
	failed := 0
	for _, t := range todo {
		switch {
		case t.Error != "":
			failed++
			a.say("%s: %s failed: %s", t.Topic, t.Action, t.Error)
		case t.Outcome == "":
			t.Outcome = "queued (command " + t.cmd.ID + ")"
			fallthrough
		default:
			a.say("%s: %s", t.Topic, t.Outcome)
		}
	}
	if a.asJSON {
		if err := printJSON(a.out, nonNilSlice(todo)); err != nil {
			return err
		}
	}
	if failed > 0 {
		return &reportedError{fmt.Sprintf("%d of %d changes did not happen", failed, len(todo))}
	}
	return nil
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

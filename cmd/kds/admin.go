package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
	"github.com/kds-io/kds/cmd/kds/internal/lineedit"
)

func newAdminCommand(g *globals) *cobra.Command {
	var w waitFlags
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "The interactive admin menu: review, approve, reject and deactivate topics",
		Long: `The admin menu of the original system, over the API:

  1 pending topics   2 approve   3 reject   4 deactivate
  5 all topics       6 subscriptions        7 exit

It reads answers line by line, so it can also be driven from a script. On
a terminal it edits lines itself, with history (up and down): Ctrl-C
cancels the question or the request under way and comes back to the menu,
Ctrl-D quits. It ends at option 7, at the end of its input, or (when its
input is not a terminal) on Ctrl-C; a question left unanswered changes
nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			ed, err := lineEditor(cmd)
			if err != nil {
				return err
			}
			defer ed.Close()
			m := adminMenu{client: client, in: ed, out: ed.Output(cmd.OutOrStdout()), wait: w}
			return m.run(cmd.Context())
		},
	}
	w.register(cmd)
	return cmd
}

type adminMenu struct {
	client *apiclient.Client
	in     *lineedit.Editor
	out    io.Writer
	wait   waitFlags
}

const adminMenuText = `
=== kds admin ===
1. View pending topics
2. Approve topics
3. Reject topics
4. Deactivate topics
5. View all topics
6. View subscriptions
7. Exit`

// errNoAnswer is a question left unanswered: the input ended, Ctrl-D was
// typed, or Ctrl-C came from elsewhere while the menu waited. The menu
// then ends, having changed nothing.
var errNoAnswer = errors.New("no answer")

func (m adminMenu) run(ctx context.Context) error {
	fmt.Fprintln(m.out, adminMenuText)
	for {
		choice, err := m.answer(ctx, "Choose option: ")
		switch {
		case errors.Is(err, lineedit.ErrInterrupted):
			continue
		case err != nil:
			return nil
		case choice == "7" || choice == "q" || choice == "quit" || choice == "exit":
			return nil
		}
		actx, done := m.in.Action(ctx)
		err = m.choose(actx, choice)
		done()
		var reported *reportedError
		switch {
		case errors.Is(err, errNoAnswer) || ctx.Err() != nil:
			// Ctrl-C from elsewhere during a request stopped the
			// request too: the menu ends rather than report the
			// cancellation.
			return nil
		case errors.Is(err, lineedit.ErrInterrupted):
			// Ctrl-C at a question: back to the menu.
		case lineedit.Interrupted(actx):
			fmt.Fprintln(m.out, "Interrupted: kds stopped waiting; a decision already sent goes on (kds topic show says where it is).")
		case err != nil && !errors.As(err, &reported):
			fmt.Fprintln(m.out, "Error:", visibleLines(err.Error()))
		}
		fmt.Fprintln(m.out, adminMenuText)
	}
}

// choose does what the menu's option says.
func (m adminMenu) choose(ctx context.Context, choice string) error {
	switch choice {
	case "1":
		return m.list(ctx, topic.Pending)
	case "2":
		return m.decide(ctx, approval, "Enter topic names to approve: ", false)
	case "3":
		return m.decide(ctx, rejection, "Enter topic names to reject: ", true)
	case "4":
		return m.deactivate(ctx)
	case "5":
		return m.list(ctx, "")
	case "6":
		return printSubscriptions(ctx, m.client, m.out, false)
	}
	fmt.Fprintf(m.out, "Unknown option %q: choose 1 to 7.\n", choice)
	return nil
}

// answer asks a question: errNoAnswer at the end of the input or when ctx
// ends, lineedit.ErrInterrupted when Ctrl-C cancelled it.
func (m adminMenu) answer(ctx context.Context, prompt string) (string, error) {
	line, err := m.in.ReadLine(ctx, prompt)
	var long *lineedit.TooLongError
	switch {
	case err == nil:
		return strings.TrimSpace(line), nil
	case errors.Is(err, lineedit.ErrInterrupted), errors.As(err, &long):
		return "", err
	}
	return "", errNoAnswer
}

func (m adminMenu) names(ctx context.Context, prompt string) ([]string, error) {
	line, err := m.answer(ctx, prompt)
	return strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }), err
}

func (m adminMenu) list(ctx context.Context, st topic.Status) error {
	topics, err := m.client.Topics(ctx, st)
	if err != nil {
		return err
	}
	if len(topics) == 0 {
		if st == "" {
			fmt.Fprintln(m.out, "No topics yet.")
		} else {
			fmt.Fprintf(m.out, "No %s topics.\n", st)
		}
		return nil
	}
	return printTopics(m.out, topics)
}

func printTopics(out io.Writer, topics []query.Topic) error {
	rows := make([][]string, len(topics))
	for i, t := range topics {
		rows[i] = []string{t.Name, string(t.Status), fmt.Sprint(t.Partitions), fmt.Sprint(t.ReplicationFactor), t.RequestedBy, ago(t.UpdatedAt)}
	}
	return printTable(out, []string{"NAME", "STATUS", "PARTITIONS", "RF", "REQUESTED BY", "CHANGED"}, rows)
}

func (m adminMenu) decide(ctx context.Context, d decision, prompt string, askReason bool) error {
	names, err := m.names(ctx, prompt)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		fmt.Fprintln(m.out, "No topics given.")
		return nil
	}
	reason := ""
	if askReason {
		if reason, err = m.answer(ctx, "Reason: "); err != nil {
			return err
		}
	}
	if err := d.checkReason(reason); err != nil {
		fmt.Fprintf(m.out, "Nothing changed: %v.\n", err)
		return nil
	}
	return decide(ctx, m.client, m.out, d, names, reason, m.wait, false)
}

func (m adminMenu) deactivate(ctx context.Context) error {
	names, err := m.names(ctx, "Enter topic names to deactivate: ")
	if err != nil {
		return err
	}
	if len(names) == 0 {
		fmt.Fprintln(m.out, "No topics given.")
		return nil
	}
	if err := allActive(ctx, m.client, names); err != nil {
		return err
	}
	confirm, err := m.answer(ctx, fmt.Sprintf("Deactivate %s and delete its data from Kafka? Type yes to confirm: ", strings.Join(names, ", ")))
	if err != nil {
		return err
	}
	if confirm != "yes" {
		fmt.Fprintln(m.out, "Not confirmed; nothing changed.")
		return nil
	}
	reason, err := m.answer(ctx, "Reason: ")
	if err != nil {
		return err
	}
	return decide(ctx, m.client, m.out, deactivation, names, reason, m.wait, false)
}

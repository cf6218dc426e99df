package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
)

func newAdminCommand(g *globals) *cobra.Command {
	var w waitFlags
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "The interactive admin menu: review, approve, reject and deactivate topics",
		Long: `The admin menu of the original system, over the API:

  1 pending topics   2 approve   3 reject   4 deactivate
  5 all topics       6 subscriptions        7 exit

It reads answers line by line, so it can also be driven from a script. It
ends at option 7, at the end of its input, or on Ctrl-C; a question left
unanswered changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			m := adminMenu{client: client, in: bufio.NewScanner(interruptible(ctx, cmd.InOrStdin())), out: cmd.OutOrStdout(), wait: w}
			return m.run(ctx)
		},
	}
	w.register(cmd)
	return cmd
}

type adminMenu struct {
	client *apiclient.Client
	in     *bufio.Scanner
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

// errNoAnswer is a question left unanswered: the input ended or Ctrl-C
// came while the menu waited. The menu then ends, having changed nothing.
var errNoAnswer = errors.New("no answer")

func (m adminMenu) run(ctx context.Context) error {
	for {
		fmt.Fprintln(m.out, adminMenuText)
		choice, ok := m.ask("Choose option: ")
		if !ok {
			return nil
		}
		var err error
		switch choice {
		case "1":
			err = m.list(ctx, topic.Pending)
		case "2":
			err = m.decide(ctx, approval, "Enter topic names to approve: ", false)
		case "3":
			err = m.decide(ctx, rejection, "Enter topic names to reject: ", true)
		case "4":
			err = m.deactivate(ctx)
		case "5":
			err = m.list(ctx, "")
		case "6":
			err = printSubscriptions(ctx, m.client, m.out, false)
		case "7", "q", "quit", "exit":
			return nil
		default:
			fmt.Fprintf(m.out, "Unknown option %q: choose 1 to 7.\n", choice)
		}
		var reported *reportedError
		switch {
		case errors.Is(err, errNoAnswer) || ctx.Err() != nil:
			// Ctrl-C during a request stopped the request too: the
			// menu ends rather than report the cancellation.
			return nil
		case err != nil && !errors.As(err, &reported):
			fmt.Fprintln(m.out, "Error:", visibleLines(err.Error()))
		}
	}
}

// ask prompts and reads a line; false at the end of input or on Ctrl-C.
func (m adminMenu) ask(prompt string) (string, bool) {
	fmt.Fprint(m.out, prompt)
	if !m.in.Scan() {
		fmt.Fprintln(m.out)
		return "", false
	}
	return strings.TrimSpace(m.in.Text()), true
}

// answer is ask for the questions inside an option: errNoAnswer without one.
func (m adminMenu) answer(prompt string) (string, error) {
	line, ok := m.ask(prompt)
	if !ok {
		return "", errNoAnswer
	}
	return line, nil
}

func (m adminMenu) names(prompt string) ([]string, error) {
	line, err := m.answer(prompt)
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
	names, err := m.names(prompt)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		fmt.Fprintln(m.out, "No topics given.")
		return nil
	}
	reason := ""
	if askReason {
		if reason, err = m.answer("Reason: "); err != nil {
			return err
		}
	}
	return decide(ctx, m.client, m.out, d, names, reason, m.wait, false)
}

func (m adminMenu) deactivate(ctx context.Context) error {
	names, err := m.names("Enter topic names to deactivate: ")
	if err != nil {
		return err
	}
	if len(names) == 0 {
		fmt.Fprintln(m.out, "No topics given.")
		return nil
	}
	confirm, err := m.answer(fmt.Sprintf("Deactivate %s and delete its data from Kafka? Type yes to confirm: ", strings.Join(names, ", ")))
	if err != nil {
		return err
	}
	if confirm != "yes" {
		fmt.Fprintln(m.out, "Not confirmed; nothing changed.")
		return nil
	}
	reason, err := m.answer("Reason: ")
	if err != nil {
		return err
	}
	return decide(ctx, m.client, m.out, deactivation, names, reason, m.wait, false)
}

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/app/content"
)

func newTopicReadCommand(g *globals) *cobra.Command {
	var (
		from, offset, grep, key string
		partition, limit        int
	)
	cmd := &cobra.Command{
		Use:   "read TOPIC",
		Short: "Read a page of a topic's messages, without a consumer group",
		Long: `Reads an active topic's messages from offsets (--offset P:O, or several
as 0:10,1:4), from a time (--from 2026-01-02T10:42:00Z, or --from 15m for
15 minutes ago), or else the newest; of one partition or all; only those
with a key (--key) or holding a text in key or value (--grep). Reading
never joins a consumer group and never commits.

Values are shown as text with control characters escaped, JSON
pretty-printed; a value that is not UTF-8 is shown in base64. The line
after the page says how to read the next one.

When kds manages Kafka's ACLs (kafka.manage_acls), only admins and the
tokens kds lets read or write the topic may read it: subscribe one of your
consumer ids (kds consume --id ID --topics TOPIC), or ask an admin to name
one (kds topic update TOPIC --consumer ID).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			if from != "" && offset != "" {
				return &usageError{msg: "give --from or --offset, not both"}
			}
			if from != "" {
				at, err := parseFrom(from, time.Now())
				if err != nil {
					return &usageError{msg: err.Error()}
				}
				q.Set("from", at.Format(time.RFC3339Nano))
			}
			if offset != "" {
				if _, err := content.ParsePositions(offset); err != nil {
					return &usageError{msg: "--offset: " + err.Error()}
				}
				q.Set("offset", offset)
			}
			if partition >= 0 {
				q.Set("partition", fmt.Sprint(partition))
			}
			if cmd.Flags().Changed("key") {
				q.Set("key", key)
			}
			if grep != "" {
				q.Set("grep", grep)
			}
			q.Set("limit", fmt.Sprint(limit))
			client, err := g.client()
			if err != nil {
				return err
			}
			page, err := client.Records(cmd.Context(), args[0], q)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), page)
			}
			for _, r := range page.Records {
				writeRecord(cmd.OutOrStdout(), r)
			}
			fmt.Fprintln(cmd.ErrOrStderr(), visible(pageFooter(page, partition)))
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "start at this time (RFC 3339), or this long ago (15m, 2h)")
	cmd.Flags().StringVar(&offset, "offset", "", "start at these offsets, PARTITION:OFFSET[,PARTITION:OFFSET...]")
	cmd.Flags().IntVar(&partition, "partition", -1, "read only this partition")
	cmd.Flags().StringVar(&key, "key", "", "only messages with this key")
	cmd.Flags().StringVar(&grep, "grep", "", "only messages whose key or value holds this text")
	cmd.Flags().IntVar(&limit, "limit", content.DefaultBrowseLimit, fmt.Sprintf("messages per page, at most %d", content.MaxBrowseLimit))
	return cmd
}

// pageFooter says what a page showed and the command that reads the next
// one: what comes next, when the page reached the end of the topic.
func pageFooter(page content.Page, partition int) string {
	next := fmt.Sprintf("kds topic read %s --offset %s", page.Topic, page.NextOffsets)
	if partition >= 0 {
		next += fmt.Sprintf(" --partition %d", partition)
	}
	shown := fmt.Sprintf("%s shown of %d read", quantity(len(page.Records), "message"), page.Scanned)
	if page.AtEnd {
		return fmt.Sprintf("%s, to the end; %s reads what comes next", shown, next)
	}
	return fmt.Sprintf("%s; next page: %s", shown, next)
}

// parseFrom reads --from: a time in RFC 3339, or a duration ago.
func parseFrom(s string, now time.Time) (time.Time, error) {
	if at, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return at, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--from %q: want a time such as 2026-01-02T10:42:00Z, or a duration ago such as 15m", s)
}

// writeRecord writes a record for people: where it is, when, its key and
// headers, and its value, pretty-printed when it is JSON, every control
// character escaped.
func writeRecord(w io.Writer, r content.Record) {
	fmt.Fprintf(w, "partition %d offset %d  %s", r.Partition, r.Offset, r.Timestamp.Format("2006-01-02T15:04:05.000Z07:00"))
	if r.Key != "" || r.KeyEncoding != "" {
		fmt.Fprintf(w, "  key %s", visible(encoded(r.Key, r.KeyEncoding)))
	}
	fmt.Fprintln(w)
	for _, h := range r.Headers {
		fmt.Fprintf(w, "  header %s: %s\n", visible(h.Key), visible(h.Value))
	}
	value := r.Value
	if r.ValueEncoding == "" {
		var pretty bytes.Buffer
		if t := strings.TrimSpace(value); (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Indent(&pretty, []byte(t), "  ", "  ") == nil {
			value = pretty.String()
		}
	}
	fmt.Fprintf(w, "  %s\n", visibleLines(encoded(value, r.ValueEncoding)))
	if r.Truncated {
		fmt.Fprintf(w, "  (cut to %d of %d bytes)\n", len(r.Value), r.Size)
	}
}

// encoded names the encoding of a key or value that is not UTF-8.
func encoded(s, encoding string) string {
	if encoding == "" {
		return s
	}
	return "(" + encoding + ") " + s
}

package main_test

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
)

// TestTopicReadShowsWhatKcatWrote writes records with keys, a header,
// JSON and control characters with kcat, and reads them back with kds
// topic read: by offset and page by page, by key, by text and by time;
// JSON is pretty-printed, control characters escaped, and -o json has
// the values exactly.
func TestTopicReadShowsWhatKcatWrote(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{})
	d.activeTopic(t, "logs", 1)
	lines := []string{`k1|{"level":"info","tags":[1,2]}`, "k2|tab\there \x1b[31mred", "k1|plain three"}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	var stderr bytes.Buffer
	write := exec.CommandContext(ctx, kcat, "-b", strings.Join(d.KafkaAddrs, ","), "-P", "-t", "logs", "-K", "|", "-H", "source=kcat")
	write.Stdin, write.Stderr = strings.NewReader(strings.Join(lines, "\n")+"\n"), &stderr
	if err := write.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("kcat -P: %v\n%s", err, stderr.String())
	}

	r := d.mustKds(t, "topic", "read", "logs", "--offset", "0:0")
	for _, want := range []string{
		"partition 0 offset 0  ", "  key k1\n  header source: kcat\n  {\n    \"level\": \"info\",\n    \"tags\": [\n      1,\n      2\n    ]\n  }\n",
		"  key k2\n", "  tab\there \\x1b[31mred\n", "  plain three\n",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("kds topic read logs has no %q:\n%s", want, r.Stdout)
		}
	}
	if strings.Contains(r.Stdout, "\x1b") || !strings.Contains(r.Stderr, "3 messages shown of 3 read, to the end; kds topic read logs --offset 0:3 reads what comes next") {
		t.Errorf("kds topic read logs: an escape reached the terminal, or the page's last line is wrong:\n%s\n%s", r.Stdout, r.Stderr)
	}

	type page struct {
		Records []struct {
			Offset int64  `json:"offset"`
			Key    string `json:"key"`
			Value  string `json:"value"`
		} `json:"records"`
		Next string `json:"next"`
	}
	var p page
	decodeJSON(t, d.kds(t, "topic", "read", "logs", "--offset", "0:0", "--limit", "1", "-o", "json"), &p)
	if len(p.Records) != 1 || p.Records[0].Value != `{"level":"info","tags":[1,2]}` || p.Next != "0:1" {
		t.Errorf("the first page of one: %+v", p)
	}
	decodeJSON(t, d.kds(t, "topic", "read", "logs", "--offset", p.Next, "--limit", "1", "-o", "json"), &p)
	if len(p.Records) != 1 || p.Records[0].Value != "tab\there \x1b[31mred" || p.Next != "0:2" {
		t.Errorf("the second page of one: %+v", p)
	}
	decodeJSON(t, d.kds(t, "topic", "read", "logs", "--key", "k1", "-o", "json"), &p)
	if len(p.Records) != 2 || p.Records[1].Value != "plain three" {
		t.Errorf("key k1: %+v", p)
	}
	decodeJSON(t, d.kds(t, "topic", "read", "logs", "--grep", "red", "--from", "1h", "-o", "json"), &p)
	if len(p.Records) != 1 || p.Records[0].Key != "k2" {
		t.Errorf("grep red from an hour ago: %+v", p)
	}

	wantFailure(t, d.kds(t, "topic", "read", "logs", "--from", "yesterday"), 2, `--from "yesterday": want a time such as 2026-01-02T10:42:00Z, or a duration ago such as 15m`)
	wantFailure(t, d.kds(t, "topic", "read", "logs", "--offset", "0:1", "--from", "1h"), 2, "give --from or --offset, not both")
	wantFailure(t, d.kds(t, "topic", "read", "logs", "--limit", "5000"), 1, "limit 5000: want 1 to 1000")
	wantFailure(t, d.kds(t, "topic", "read", "nope"), 1, `topic "nope" not found`)
	wantFailure(t, d.kds(t, "topic", "read", "logs", "--offset", "0:0,3:0,5:1"), 1, `topic "logs" has no partition 3, 5: its partitions are 0 to 0`)
	wantFailure(t, d.kds(t, "topic", "read", "logs", "--partition", "2"), 1, `topic "logs" has no partition 2: its partitions are 0 to 0`)
}

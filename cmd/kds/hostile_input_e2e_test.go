package main_test

// Hostile input end to end, beyond what TestBadInputIsRefusedAndChangesNothing
// covers: names built to break SQL, a shell or a reader's eyes, absurd
// numbers, and raw HTTP requests that no client of ours would send. Each
// is refused with a specific error, and neither MySQL nor Kafka changes.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
)

func TestHostileInputChangesNothing(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{})
	d.activeTopic(t, "safe", 2)
	topicsBefore, historyBefore := d.statuses(t), d.history(t, "safe")
	commandsBefore := call(t, "GET", d.APIURL+"/api/v1/commands?limit=1000", d.AdminToken, "")

	// Names through the CLI, which passes them to the API as they are.
	names := []struct {
		name, want string
	}{
		{`x';DROP TABLE topics;--`, `character '\'' at position 2 is not allowed`},
		{`x" OR "1"="1`, `character '"' at position 2`},
		{`$(touch pwned)`, `character '$' at position 1`},
		{"`touch pwned`", "character '`' at position 1"},
		{`a;touch pwned`, `character ';' at position 2`},
		{`a|b`, `character '|' at position 2`},
		{`../../etc/passwd`, `character '/' at position 3`},
		{`a%00b`, `character '%' at position 2`},
		{"line\nbreak", `character '\n' at position 5`},
		{"n\u0435ws", `character '\u0435' at position 2`},  // Cyrillic e
		{"\uff4eews", `character '\uff4e' at position 1`},  // fullwidth n
		{"news\u200b", `character '\u200b' at position 5`}, // zero-width space
		{"new\u202eswen", `character '\u202e' at position 4`},
		{"caf\u00e9", `character '\u00e9' at position 4`},
		{"safe\u0000", ""}, // cannot be an argument: exec refuses a NUL; sent over HTTP below
		{"..", `Kafka does not allow "." or ".." as a topic name`},
	}
	for _, n := range names {
		if strings.ContainsRune(n.name, 0) {
			continue
		}
		r := d.kds(t, "topic", "request", n.name)
		wantFailure(t, r, 1, "invalid topic name", n.want)
		// The dry run asks the same questions and says the same.
		wantFailure(t, d.kds(t, "topic", "request", n.name, "--dry-run"), 1, n.want)
	}
	if _, err := os.Stat(filepath.Join(d.workDir, "pwned")); err == nil {
		t.Error("a topic name ran a shell command")
	}

	// Absurd numbers through the CLI: refused by kds's flag checks or its
	// API, or by the flag parser.
	numbers := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-p", "-1"}, 2, "--partitions must be at least 1, got -1"},
		{[]string{"-p", "1001"}, 1, "partitions must be at most 1000, got 1001"},
		{[]string{"-p", "2147483648"}, 2, `invalid argument "2147483648"`},
		{[]string{"-r", "-3"}, 2, "--replication-factor must be at least 1, got -3"},
		{[]string{"-r", "32768"}, 2, `invalid argument "32768"`},
		{[]string{"-r", "2"}, 1, "replication factor 2 is more than the 1 broker(s) in the cluster"},
		{[]string{"-c", "retention.ms=-5"}, 1, `config retention.ms="-5": want a whole number`},
		{[]string{"-c", "retention ms=1"}, 1, `config key "retention ms" is not a Kafka topic config name`},
		{[]string{"-c", "cleanup.policy=delete;compact"}, 1, "want compact or delete, or several of them separated by commas"},
		{[]string{"-c", "retention.ms=" + strings.Repeat("9", 2000)}, 1, "at most 1024 are allowed"},
	}
	for i, n := range numbers {
		wantFailure(t, d.kds(t, append([]string{"topic", "request", fmt.Sprintf("numbers-%d", i)}, n.args...)...), n.code, n.want)
	}

	// Raw HTTP, as curl would send it.
	huge := `{"name":"big","reason":"` + strings.Repeat("x", 2<<20) + `"}`
	batch := func(n int) string {
		cmds := make([]apiv1.BatchCommand, n)
		for i := range cmds {
			cmds[i] = apiv1.BatchCommand{Type: "RequestTopic", Topic: fmt.Sprintf("flood-%d", i)}
		}
		b, _ := json.Marshal(apiv1.BatchRequest{Commands: cmds})
		return string(b)
	}
	requests := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"NUL in a name", "POST", "/api/v1/topics", `{"name":"safe\u0000"}`, 400, `character '\x00' at position 5`},
		{"SQL in a name", "POST", "/api/v1/topics", `{"name":"safe' OR '1'='1"}`, 400, "invalid topic name"},
		{"a body over 1 MiB", "POST", "/api/v1/topics", huge, 413, "too large"},
		{"a batch over 1 MiB", "POST", "/api/v1/commands", `{"commands":[` + strings.Repeat(`{"type":"RequestTopic","topic":"flood"},`, 40000) + `{}]}`, 413, "too large"},
		{"too many commands in a batch", "POST", "/api/v1/commands", batch(5001), 400, "a batch holds 1 to 5000 commands"},
		{"an empty batch", "POST", "/api/v1/commands", `{"commands":[]}`, 400, "a batch holds 1 to 5000 commands"},
		{"malformed JSON", "POST", "/api/v1/topics", `{"name":"half`, 400, "malformed JSON"},
		{"no body", "POST", "/api/v1/topics", "", 400, "the request body is empty"},
		{"two JSON values", "POST", "/api/v1/topics", `{"name":"one"}{"name":"two"}`, 400, "more than one JSON value"},
		{"an unknown field", "POST", "/api/v1/topics", `{"name":"extra","actor":"root"}`, 400, `unknown field "actor"`},
		{"a number as a string", "POST", "/api/v1/topics", `{"name":"typed","partitions":"3"}`, 400, "malformed JSON"},
		{"partitions past int32", "POST", "/api/v1/topics", `{"name":"wide","partitions":4294967296}`, 400, "malformed JSON"},
		{"a fractional replication factor", "POST", "/api/v1/topics", `{"name":"half","replication_factor":1.5}`, 400, "malformed JSON"},
		{"an object for a name", "POST", "/api/v1/topics", `{"name":{"$ne":null}}`, 400, "malformed JSON"},
		{"a deep nest", "POST", "/api/v1/topics", `{"name":` + strings.Repeat("[", 100000) + `}`, 400, "malformed JSON"},
		{"an unknown command type", "POST", "/api/v1/commands", `{"commands":[{"type":"DropDatabase","topic":"safe"}]}`, 400, `unknown command type "DropDatabase"`},
		{"an internal command type", "POST", "/api/v1/commands", `{"commands":[{"type":"DeleteTopic","topic":"safe"}]}`, 400, `unknown command type "DeleteTopic"`},
		{"an unknown action", "POST", "/api/v1/topics/safe/delete", "", 400, `unknown action "delete"`},
		{"a path that climbs", "POST", "/api/v1/topics/..%2F..%2Fetc%2Fpasswd/approve", "", 400, "invalid topic name"},
		{"a wait of years", "GET", "/api/v1/topics/safe?wait_while=active&wait=87600h", "", 400, "want a duration from 0s to 5m0s"},
		{"a negative limit", "GET", "/api/v1/commands?limit=-1", "", 400, "limit: want a number from 1 to 1000"},
	}
	for _, rq := range requests {
		c := call(t, rq.method, d.APIURL+rq.path, d.AdminToken, rq.body)
		var eb apiv1.ErrorBody
		if c.status != rq.status || json.Unmarshal([]byte(c.body), &eb) != nil || !strings.Contains(eb.Error, rq.want) {
			t.Errorf("%s: %d %s, want %d with a JSON error saying %q", rq.name, c.status, tail(c.body, 300), rq.status, rq.want)
		}
	}
	// The request line is the server's to refuse, before kds sees it.
	if c := call(t, "GET", d.APIURL+"/api/v1/topics/"+strings.Repeat("n", 2<<20), d.AdminToken, ""); c.status < 400 || c.status >= 500 {
		t.Errorf("a 2 MiB path: %d", c.status)
	}
	if resp, err := http.Get(d.APIURL + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("kds is not ready after the hostile requests: %v %v", resp, err)
	}

	if got := d.statuses(t); !reflect.DeepEqual(got, topicsBefore) {
		t.Errorf("topics after the refusals: %v, want %v", got, topicsBefore)
	}
	if got := d.history(t, "safe"); !reflect.DeepEqual(got, historyBefore) {
		t.Errorf("safe's history changed:\n got %+v\nwant %+v", got, historyBefore)
	}
	if got := call(t, "GET", d.APIURL+"/api/v1/commands?limit=1000", d.AdminToken, ""); got.body != commandsBefore.body {
		t.Errorf("the command log changed:\n got %s\nwant %s", got.body, commandsBefore.body)
	}
	topics, _ := kafkaTopics(t, kcat, d.KafkaAddrs)
	if user := userTopics(topics); !reflect.DeepEqual(user, []string{"safe"}) || len(topics["safe"].Partitions) != 2 {
		t.Errorf("Kafka's user topics after the refusals: %v", user)
	}
}

package main_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
)

// openMessages opens a topic's live messages as token: the status, and
// either the stream's first event ("ready") or the refusal's body.
func (d *devServer) openMessages(t *testing.T, token, topic string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.APIURL+"/api/v1/topics/"+topic+"/messages", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "event: ") {
			return resp.StatusCode, strings.TrimPrefix(lines.Text(), "event: ")
		}
	}
	return resp.StatusCode, "no event: " + lines.Err().Error()
}

// TestContentReadsFollowTheGrants: with kds dev --kafka-sasl, the API
// reads a topic's messages (kds topic read, the dashboard's live
// messages) only for those kds lets use the topic in Kafka, and for
// admins; the others are told how to get access, and get it that way.
func TestContentReadsFollowTheGrants(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{args: []string{"--kafka-sasl", "SCRAM-SHA-512"}, env: []string{"KDS_KAFKA_SASL_MECHANISM=SCRAM-SHA-512",
		"KDS_KAFKA_SASL_USERNAME=kds", "KDS_KAFKA_SASL_PASSWORD=" + aclPassword}})
	alice := d.createToken(t, "alice", "producer")
	dave := d.createToken(t, "dave", "consumer")
	carol := d.createToken(t, "carol", "consumer")
	vic := d.createToken(t, "vic", "viewer")
	root := d.createToken(t, "root", "admin")
	if r := d.kdsAs(t, alice, "topic", "request", "orders", "-p", "1", "--consumer", "dave"); r.Code != 0 {
		t.Fatalf("request\n%s", r)
	}
	d.mustKds(t, "topic", "approve", "orders")
	if r := d.kdsAs(t, alice, "send", "orders", "hello orders"); r.Code != 0 {
		t.Fatalf("alice sends\n%s", r)
	}

	reads := func(who, token string) {
		t.Helper()
		if r := d.kdsAs(t, token, "topic", "read", "orders", "--offset", "0:0"); r.Code != 0 || !strings.Contains(r.Stdout, "hello orders") {
			t.Errorf("%s may read orders through kds topic read\n%s", who, r)
		}
		if code, first := d.openMessages(t, token, "orders"); code != http.StatusOK || first != "ready" {
			t.Errorf("%s may follow orders' live messages: %d %s", who, code, first)
		}
	}
	refused := func(who, token string) {
		t.Helper()
		wantFailure(t, d.kdsAs(t, token, "topic", "read", "orders", "--offset", "0:0"), 1,
			`may not read the messages of topic "orders"`, "kds consume --id ID --topics orders", "kds topic update orders --consumer ID")
		code, body := d.openMessages(t, token, "orders")
		if code != http.StatusForbidden || !strings.Contains(body, `may not read the messages of topic \"orders\"`) || !strings.Contains(body, "kds topic update orders --consumer ID") {
			t.Errorf("%s follows orders' live messages: %d %s", who, code, body)
		}
	}
	reads("dave, a named consumer", dave)
	reads("root, an admin", root)
	reads("the bootstrap admin token", d.AdminToken)
	reads("alice, the owner", alice)
	refused("vic, a viewer", vic)
	refused("carol, a consumer neither named nor subscribed", carol)

	// What the refusal says, done: carol subscribes, and reads.
	carolAPI, _ := apiclient.New(d.APIURL, carol)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := carolAPI.Subscribe(ctx, "carol", "orders", true); err != nil {
		t.Fatal(err)
	}
	reads("carol, subscribed", carol)
	if err := carolAPI.Unsubscribe(ctx, "carol", "orders"); err != nil {
		t.Fatal(err)
	}
	refused("carol, unsubscribed", carol)
}

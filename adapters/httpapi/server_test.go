package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/httpapi"
	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
	"github.com/kds-io/kds/app"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/command/commandtest"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
)

// bootstrapToken is the admin token the test server accepts unstored.
const bootstrapToken = "bootstrap-secret"

// api is a test server over a real application on its own MariaDB
// database, subscriptions included. No Kafka router runs: a test moves
// commands on itself, as the lifecycle handler and the topic manager would.
type api struct {
	db      *sql.DB
	app     app.Application
	events  *httpapi.Broadcaster
	cluster *commandtest.Cluster
	url     string
	admin   *apiclient.Client
}

func newAPI(t testing.TB, checks ...httpapi.Check) *api {
	t.Helper()
	db, _ := mysqltest.NewDatabase(t)
	outbox := mysql.NewOutbox(nil)
	repo := mysql.NewTopicRepository(db, outbox)
	queue := mysql.NewCommandQueue(db, outbox)
	cluster := commandtest.NewCluster()
	policy := command.Policy{DefaultPartitions: 3, DefaultReplicationFactor: 1, Limits: topic.Limits{MaxPartitions: 1000}}
	tokens := auth.NewTokens(mysql.NewTokenStore(db), bootstrapToken)
	a := app.Application{
		Commands: app.Commands{
			Issue:         command.NewIssueHandler(repo, queue, cluster, policy),
			Apply:         command.NewApplyHandler(repo, policy.Limits),
			TopicManager:  command.NewTopicManager(repo, cluster, commandtest.NewSubscriptions(), &commandtest.Reconciliations{}, time.Second),
			Subscriptions: command.NewSubscriptions(repo, mysql.NewSubscriptionRepository(db, outbox)),
		},
		Queries:  query.NewQueries(mysql.NewReadModel(db)),
		Tokens:   tokens,
		Sessions: auth.NewSessions(mysql.NewSessionStore(db), tokens),
	}
	events := httpapi.NewBroadcaster()
	srv := httptest.NewServer(httpapi.NewServer(a, events, checks, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	admin, err := apiclient.New(srv.URL, bootstrapToken)
	if err != nil {
		t.Fatal(err)
	}
	return &api{db: db, app: a, events: events, cluster: cluster, url: srv.URL, admin: admin}
}

// client calls the API with token.
func (a *api) client(t testing.TB, token string) *apiclient.Client {
	t.Helper()
	c, err := apiclient.New(a.url, token)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// token creates a token through the API with the bootstrap admin token.
func (a *api) token(t testing.TB, name string, role auth.Role) apiv1.TokenView {
	t.Helper()
	tok, err := a.admin.CreateToken(context.Background(), apiv1.TokenRequest{Name: name, Role: role})
	if err != nil {
		t.Fatalf("create %s token %q: %v", role, name, err)
	}
	return tok
}

// apply does what the lifecycle handler does with a command from kds.commands.
func (a *api) apply(t testing.TB, cmd query.Command) {
	t.Helper()
	if err := a.app.Commands.Apply.Handle(context.Background(), cmd.Command); err != nil {
		t.Fatalf("apply %s %s: %v", cmd.Type, cmd.Topic, err)
	}
}

// pending requests a topic and applies the request.
func (a *api) pending(t testing.TB, name string) query.Command {
	t.Helper()
	r, err := a.admin.RequestTopic(context.Background(), apiv1.TopicRequest{Name: name, Reason: "test"})
	if err != nil {
		t.Fatalf("request %s: %v", name, err)
	}
	a.apply(t, r.Command)
	return r.Command
}

// approved brings a new topic to approved.
func (a *api) approved(t testing.TB, name string) {
	t.Helper()
	a.pending(t, name)
	cmd, err := a.admin.Decide(context.Background(), name, "approve", "test")
	if err != nil {
		t.Fatalf("approve %s: %v", name, err)
	}
	a.apply(t, cmd)
}

// activate does what the topic manager does with an approved topic.
func (a *api) activate(t testing.TB, name string) {
	t.Helper()
	ctx := context.Background()
	tp, err := a.admin.Topic(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.app.Commands.TopicManager.Activate(ctx, name, tp.Generation); err != nil {
		t.Fatalf("activate %s: %v", name, err)
	}
}

// active brings a new topic to active.
func (a *api) active(t testing.TB, name string) {
	t.Helper()
	a.approved(t, name)
	a.activate(t, name)
}

// answer is a raw HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// errorBody decodes the JSON error every failed request answers with.
func (r answer) errorBody(t testing.TB) apiv1.ErrorBody {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%d answer has Content-Type %q, want application/json; body %s", r.status, ct, r.body)
	}
	var eb apiv1.ErrorBody
	if err := json.Unmarshal(r.body, &eb); err != nil || eb.Error == "" {
		t.Fatalf("%d answer is not a JSON error body (%v): %s", r.status, err, r.body)
	}
	return eb
}

// do sends a raw request; token "" sends no Authorization header.
func (a *api) do(t testing.TB, method, path, token string, body []byte) answer {
	t.Helper()
	return a.doHeader(t, method, path, "Bearer "+token, body, token == "")
}

func (a *api) doHeader(t testing.TB, method, path, authorization string, body []byte, noAuth bool) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, a.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if !noAuth {
		req.Header.Set("Authorization", authorization)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	// A stream that opened would not end: its answer is its headers.
	if resp.Header.Get("Content-Type") == "text/event-stream" {
		return answer{status: resp.StatusCode, header: resp.Header}
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read answer: %v", method, path, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// apiStatus is the HTTP status of a Client error, or 0.
func apiStatus(err error) int {
	var ae *apiclient.APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

var unique atomic.Int64

// uniqueName is a topic or token name no other call returns.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, unique.Add(1))
}

// route is one API route as the role tests call it.
type route struct {
	name   string
	method string
	// path and body are made afresh for each call, so that calls that
	// succeed do not clash with each other; path gets the consumer id the
	// caller's token acts for.
	path    func(t *testing.T, consumer string) string
	body    func() any
	success int
	allowed []auth.Role
}

// routes lists every authenticated route with the roles allowed to call
// it, over topics it creates: one pending and two active (in Kafka too),
// and a reconciliation it records.
func routes(t *testing.T, a *contentAPI) []route {
	t.Helper()
	ctx := context.Background()
	pending, active, unsubscribed, updated := uniqueName("routes-pending"), uniqueName("routes-active"), uniqueName("routes-unsubscribed"), uniqueName("routes-updated")
	requested := a.pending(t, pending)
	a.activeTopic(t, active, 1)
	a.activeTopic(t, unsubscribed, 1)
	a.activeTopic(t, updated, 1)
	var grown atomic.Int32 // each update adds a partition, so that each changes something
	grown.Store(1)
	now := time.Now().UTC()
	if err := mysql.NewReconciliationLog(a.db).Record(ctx, command.Reconciliation{StartedAt: now, FinishedAt: now, Checked: 2}); err != nil {
		t.Fatal(err)
	}

	everyone := []auth.Role{auth.Admin, auth.Producer, auth.Consumer, auth.Viewer}
	requesters := []auth.Role{auth.Admin, auth.Producer}
	consumers := []auth.Role{auth.Admin, auth.Consumer}
	admins := []auth.Role{auth.Admin}
	kafkaClients := []auth.Role{auth.Admin, auth.Producer, auth.Consumer}
	fixed := func(p string) func(*testing.T, string) string { return func(*testing.T, string) string { return p } }
	batch := func(typ command.Type, name string) any {
		return apiv1.BatchRequest{Commands: []apiv1.BatchCommand{{Type: typ, Topic: name}}}
	}
	subscription := func(consumer, name string) string { return "/api/v1/consumers/" + consumer + "/subscriptions/" + name }
	return []route{
		{name: "whoami", method: http.MethodGet, path: fixed("/api/v1/whoami"), success: http.StatusOK, allowed: everyone},
		{name: "list topics", method: http.MethodGet, path: fixed("/api/v1/topics"), success: http.StatusOK, allowed: everyone},
		{name: "show topic", method: http.MethodGet, path: fixed("/api/v1/topics/" + pending), success: http.StatusOK, allowed: everyone},
		{name: "topic history", method: http.MethodGet, path: fixed("/api/v1/topics/" + pending + "/history"), success: http.StatusOK, allowed: everyone},
		{name: "list commands", method: http.MethodGet, path: fixed("/api/v1/commands"), success: http.StatusOK, allowed: everyone},
		{name: "show command", method: http.MethodGet, path: fixed("/api/v1/commands/" + requested.ID), success: http.StatusOK, allowed: everyone},
		{name: "cluster", method: http.MethodGet, path: fixed("/api/v1/cluster"), success: http.StatusOK, allowed: kafkaClients},
		{name: "drift", method: http.MethodGet, path: fixed("/api/v1/drift"), success: http.StatusOK, allowed: everyone},
		{name: "list poison", method: http.MethodGet, path: fixed("/api/v1/poison"), success: http.StatusOK, allowed: everyone},
		{name: "list consumers", method: http.MethodGet, path: fixed("/api/v1/consumers"), success: http.StatusOK, allowed: everyone},
		{name: "show consumer", method: http.MethodGet, path: fixed("/api/v1/consumers/reader"), success: http.StatusOK, allowed: everyone},
		{name: "event stream", method: http.MethodGet, path: fixed("/api/v1/events"), success: http.StatusOK, allowed: everyone},
		{name: "live messages", method: http.MethodGet, path: fixed("/api/v1/topics/" + active + "/messages"), success: http.StatusOK, allowed: everyone},
		{name: "usage", method: http.MethodGet, path: fixed("/api/v1/usage"), success: http.StatusOK, allowed: everyone},
		{name: "topic usage", method: http.MethodGet, path: fixed("/api/v1/topics/" + active + "/usage"), success: http.StatusOK, allowed: everyone},
		{name: "browse records", method: http.MethodGet, path: fixed("/api/v1/topics/" + active + "/records"), success: http.StatusOK, allowed: everyone},
		{name: "metrics", method: http.MethodGet, path: fixed("/metrics"), success: http.StatusOK, allowed: everyone},
		{name: "request topic", method: http.MethodPost, path: fixed("/api/v1/topics"),
			body: func() any { return apiv1.TopicRequest{Name: uniqueName("routes-req")} }, success: http.StatusAccepted, allowed: requesters},
		{name: "batch request", method: http.MethodPost, path: fixed("/api/v1/commands"),
			body: func() any { return batch(command.RequestTopicType, uniqueName("routes-batch")) }, success: http.StatusAccepted, allowed: requesters},
		{name: "subscribe", method: http.MethodPut, path: func(_ *testing.T, consumer string) string { return subscription(consumer, active) },
			body: func() any { return apiv1.SubscribeRequest{} }, success: http.StatusCreated, allowed: consumers},
		{name: "unsubscribe", method: http.MethodDelete,
			path: func(t *testing.T, consumer string) string {
				if _, err := a.admin.Subscribe(ctx, consumer, unsubscribed, false); err != nil {
					t.Fatal(err)
				}
				return subscription(consumer, unsubscribed)
			},
			success: http.StatusNoContent, allowed: consumers},
		{name: "heartbeat", method: http.MethodPut, path: func(_ *testing.T, consumer string) string {
			return "/api/v1/consumers/" + consumer + "/instances/" + uniqueName("instance")
		},
			body: func() any { return apiv1.InstanceReport{Host: "h", PID: 1, Attached: []string{active}} }, success: http.StatusNoContent, allowed: consumers},
		{name: "goodbye", method: http.MethodDelete, path: func(_ *testing.T, consumer string) string {
			return "/api/v1/consumers/" + consumer + "/instances/instance-gone"
		},
			success: http.StatusNoContent, allowed: consumers},
		{name: "approve", method: http.MethodPost, path: fixed("/api/v1/topics/" + pending + "/approve"),
			body: func() any { return apiv1.Decision{Reason: "looks fine"} }, success: http.StatusAccepted, allowed: admins},
		{name: "reject", method: http.MethodPost, path: fixed("/api/v1/topics/" + pending + "/reject"),
			body: func() any { return apiv1.Decision{Reason: "not needed"} }, success: http.StatusAccepted, allowed: admins},
		{name: "deactivate", method: http.MethodPost, path: fixed("/api/v1/topics/" + active + "/deactivate"),
			success: http.StatusAccepted, allowed: admins},
		{name: "update topic", method: http.MethodPut, path: fixed("/api/v1/topics/" + updated),
			body: func() any { return apiv1.TopicUpdate{Partitions: grown.Add(1), ReplicationFactor: 1} }, success: http.StatusAccepted, allowed: admins},
		{name: "batch approve", method: http.MethodPost, path: fixed("/api/v1/commands"),
			body: func() any { return batch(command.ApproveTopicType, pending) }, success: http.StatusAccepted, allowed: admins},
		{name: "batch deactivate", method: http.MethodPost, path: fixed("/api/v1/commands"),
			body: func() any { return batch(command.DeactivateTopicType, active) }, success: http.StatusAccepted, allowed: admins},
		// kds.poison is empty: a role that may requeue learns that the
		// message does not exist.
		{name: "requeue poison", method: http.MethodPost, path: fixed("/api/v1/poison/no-such-message/requeue"), success: http.StatusNotFound, allowed: admins},
		{name: "create token", method: http.MethodPost, path: fixed("/api/v1/tokens"),
			body: func() any { return apiv1.TokenRequest{Name: uniqueName("minted"), Role: auth.Viewer} }, success: http.StatusCreated, allowed: admins},
		{name: "list tokens", method: http.MethodGet, path: fixed("/api/v1/tokens"), success: http.StatusOK, allowed: admins},
		{name: "revoke token", method: http.MethodDelete,
			path: func(t *testing.T, _ string) string {
				return "/api/v1/tokens/" + a.token(t, uniqueName("doomed"), auth.Viewer).ID
			},
			success: http.StatusNoContent, allowed: admins},
	}
}

// call calls the route as the caller authorization names, who acts for
// the consumer id consumer.
func (r route) call(t *testing.T, a *contentAPI, authorization string, noAuth bool, consumer string) answer {
	t.Helper()
	var body []byte
	if r.body != nil {
		body = mustJSON(t, r.body())
	}
	return a.doHeader(t, r.method, r.path(t, consumer), authorization, body, noAuth)
}

// TestRolePermissionMatrix proves over HTTP that each role can do exactly
// what it should and no more: admin everything; producer read and request;
// consumer read, subscribe and report its processes; viewer read only.
func TestRolePermissionMatrix(t *testing.T) {
	t.Parallel()
	a := newContentAPI(t)
	// The token names do not contain the role, so a 403 that names the
	// role names it because it says what the caller is.
	holders := map[auth.Role]string{auth.Admin: "ada", auth.Producer: "pat", auth.Consumer: "cid", auth.Viewer: "vic"}
	tokens := map[auth.Role]string{}
	for role, name := range holders {
		tokens[role] = a.token(t, name, role).Secret
	}
	rs := routes(t, a)

	t.Run("matrix", func(t *testing.T) {
		for _, role := range auth.Roles {
			for _, r := range rs {
				t.Run(string(role)+"/"+r.name, func(t *testing.T) {
					t.Parallel()
					got := r.call(t, a, "Bearer "+tokens[role], false, holders[role])
					if slices.Contains(r.allowed, role) {
						if got.status != r.success {
							t.Fatalf("%s may %s: got %d, want %d: %s", role, r.name, got.status, r.success, got.body)
						}
						return
					}
					if got.status != http.StatusForbidden {
						t.Fatalf("%s may not %s: got %d, want 403: %s", role, r.name, got.status, got.body)
					}
					if eb := got.errorBody(t); !strings.Contains(eb.Error, string(role)) {
						t.Fatalf("403 for %s does not name the role: %q", role, eb.Error)
					}
				})
			}
		}
	})

	// Refused calls left nothing behind: no command by a consumer or a
	// viewer, nothing but requests by the producer, no token made or
	// revoked by anyone but the admin, no subscription by a producer or a
	// viewer.
	ctx := context.Background()
	cmds, err := a.admin.Commands(ctx, query.CommandFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cmds {
		switch {
		case c.Actor == holders[auth.Consumer] || c.Actor == holders[auth.Viewer]:
			t.Errorf("a read-only role issued %s %s", c.Type, c.Topic)
		case c.Actor == holders[auth.Producer] && c.Type != command.RequestTopicType:
			t.Errorf("the producer issued %s %s", c.Type, c.Topic)
		}
	}
	toks, err := a.admin.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	revoked := 0
	for _, tok := range toks {
		if !tok.Bootstrap && tok.CreatedBy != auth.BootstrapAdminName && tok.CreatedBy != holders[auth.Admin] {
			t.Errorf("token %s created by %s", tok.Name, tok.CreatedBy)
		}
		if tok.RevokedAt != nil {
			revoked++
		}
	}
	if revoked != 1 {
		t.Errorf("%d tokens revoked, want the admin's 1", revoked)
	}
	consumers, err := a.admin.Consumers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range consumers {
		for _, sub := range c.Subscriptions {
			if sub.CreatedBy == holders[auth.Producer] || sub.CreatedBy == holders[auth.Viewer] {
				t.Errorf("%s subscribed %s to %s", sub.CreatedBy, c.ID, sub.Topic)
			}
		}
	}
}

// TestConsumerTokensActOnlyForTheirConsumers: a consumer's token cannot
// subscribe, unsubscribe or report processes for a consumer id it was not
// made for, however well it knows that id; an admin acts for any.
func TestConsumerTokensActOnlyForTheirConsumers(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	ctx := context.Background()
	name := uniqueName("owned")
	a.active(t, name)
	alice := a.client(t, a.token(t, "alice", auth.Consumer).Secret)
	bob := a.client(t, a.token(t, "bob", auth.Consumer).Secret)
	orders, err := a.admin.CreateToken(ctx, apiv1.TokenRequest{Name: "orders-bot", Role: auth.Consumer, Consumers: []string{"orders-1", "orders-2"}})
	if err != nil || !slices.Equal(orders.Consumers, []string{"orders-1", "orders-2"}) {
		t.Fatalf("a token for two consumer ids: %+v, %v", orders, err)
	}
	if _, err := alice.Subscribe(ctx, "alice", name, false); err != nil {
		t.Fatalf("alice subscribes herself: %v", err)
	}
	heartbeat := apiv1.InstanceReport{Host: "h", PID: 1, Attached: []string{name}}
	for what, err := range map[string]error{
		"unsubscribe another consumer": bob.Unsubscribe(ctx, "alice", name),
		"subscribe another consumer":   func() error { _, err := bob.Subscribe(ctx, "alice", name, true); return err }(),
		"report another's process":     bob.ReportInstance(ctx, "alice", "instance-bob", heartbeat),
		"say goodbye for another":      bob.LeaveInstance(ctx, "alice", "instance-alice"),
		"act for a made-up id":         bob.ReportInstance(ctx, "orders-1", "instance-bob", heartbeat),
	} {
		var ae *apiclient.APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusForbidden || !strings.Contains(ae.Message, `may act only for consumer ids bob`) {
			t.Errorf("bob's token may %s: %v, want 403", what, err)
		}
	}
	c, err := a.admin.Consumer(ctx, "alice")
	if err != nil || len(c.Subscriptions) != 1 || !c.Subscriptions[0].Live || len(c.Instances) != 0 {
		t.Fatalf("alice after bob's attempts: %+v, %v; want her subscription and no process", c, err)
	}

	ordersBot := a.client(t, orders.Secret)
	for _, id := range []string{"orders-1", "orders-2"} {
		if _, err := ordersBot.Subscribe(ctx, id, name, false); err != nil {
			t.Errorf("the orders token subscribes %s: %v", id, err)
		}
	}
	if _, err := ordersBot.Subscribe(ctx, "orders-bot", name, false); apiStatus(err) != http.StatusForbidden {
		t.Errorf("a token made for other ids acts for its own name: %v", err)
	}
	if err := a.admin.Unsubscribe(ctx, "alice", name); err != nil {
		t.Errorf("an admin unsubscribes anyone: %v", err)
	}
	if _, err := a.admin.CreateToken(ctx, apiv1.TokenRequest{Name: "pat", Role: auth.Producer, Consumers: []string{"pat"}}); apiStatus(err) != http.StatusBadRequest {
		t.Errorf("a producer token made for consumer ids: %v, want 400", err)
	}
}

// TestAPIRefusesBadTokens checks that every route answers a missing,
// malformed, unknown or revoked token with 401 and a challenge, and does
// not say which of those it was.
func TestAPIRefusesBadTokens(t *testing.T) {
	t.Parallel()
	a := newContentAPI(t)
	ctx := context.Background()
	live, revoked := a.token(t, "stayer", auth.Admin), a.token(t, "leaver", auth.Admin)
	if _, err := a.client(t, revoked.Secret).Whoami(ctx); err != nil {
		t.Fatalf("token before revocation: %v", err)
	}
	if got := a.do(t, http.MethodDelete, "/api/v1/tokens/"+revoked.ID, bootstrapToken, nil); got.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", got.status, got.body)
	}
	credentials := []struct {
		name          string
		authorization string
		noAuth        bool
	}{
		{name: "no header", noAuth: true},
		{name: "empty bearer", authorization: "Bearer "},
		{name: "garbage", authorization: "Bearer garbage"},
		{name: "well-formed unknown", authorization: "Bearer kds_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{name: "tampered", authorization: "Bearer " + live.Secret[:len(live.Secret)-2] + "xx"},
		{name: "revoked", authorization: "Bearer " + revoked.Secret},
		{name: "basic scheme", authorization: "Basic YWRtaW46Ym9vdHN0cmFwLXNlY3JldA=="},
		{name: "bootstrap without scheme", authorization: bootstrapToken},
	}
	var first string
	for _, r := range routes(t, a) {
		for _, c := range credentials {
			got := r.call(t, a, c.authorization, c.noAuth, "nobody")
			if got.status != http.StatusUnauthorized {
				t.Errorf("%s with %s: got %d, want 401: %s", r.name, c.name, got.status, got.body)
				continue
			}
			if h := got.header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") {
				t.Errorf("%s with %s: WWW-Authenticate %q, want a Bearer challenge", r.name, c.name, h)
			}
			msg := got.errorBody(t).Error
			if first == "" {
				first = msg
			}
			if msg != first {
				t.Errorf("%s with %s: 401 says %q, others %q: callers must not learn why", r.name, c.name, msg, first)
			}
		}
	}
	if _, err := a.client(t, live.Secret).Whoami(ctx); err != nil {
		t.Fatalf("the token whose tampered copy was refused: %v", err)
	}
	if _, err := a.client(t, revoked.Secret).Topics(ctx, ""); apiStatus(err) != http.StatusUnauthorized {
		t.Fatalf("client with a revoked token: %v, want a 401 APIError", err)
	}
}

// TestErrorStatuses checks the status and the JSON error of each way a
// request can go wrong.
func TestErrorStatuses(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	ctx := context.Background()
	a.approved(t, "errs-approved")
	a.pending(t, "errs.collide")
	a.token(t, "errs-taken", auth.Viewer)
	queued, err := a.admin.RequestTopic(ctx, apiv1.TopicRequest{Name: "errs-queued"})
	if err != nil {
		t.Fatal(err)
	}
	waitURL := "/api/v1/commands/" + queued.Command.ID
	overMiB := func(prefix string) string {
		return prefix + strings.Repeat("x", 1<<20) + `"}`
	}
	// n configs whose values are size copies of value, in one request,
	// each character as one byte, as a client that escapes nothing sends it.
	configs := func(name string, n, size int, value string) string {
		pairs := make([]string, n)
		for i := range pairs {
			pairs[i] = fmt.Sprintf(`"x.config.%d":"%s"`, i, strings.Repeat(value, size))
		}
		return fmt.Sprintf(`{"name":%q,"configs":{%s}}`, name, strings.Join(pairs, ","))
	}

	cases := []struct {
		name         string
		method, path string
		body         string
		want         int
		// says is in the error message, case-insensitively.
		says string
	}{
		{name: "malformed JSON", method: "POST", path: "/api/v1/topics", body: `{"name":`, want: 400, says: "malformed JSON"},
		{name: "not an object", method: "POST", path: "/api/v1/topics", body: `[1, 2]`, want: 400, says: "malformed JSON"},
		{name: "empty body", method: "POST", path: "/api/v1/topics", body: ``, want: 400, says: "empty"},
		{name: "two JSON values", method: "POST", path: "/api/v1/topics", body: `{"name":"errs-a"} {"name":"errs-b"}`, want: 400, says: "more than one"},
		{name: "unknown field", method: "POST", path: "/api/v1/topics", body: `{"name":"errs-x","partitons":3}`, want: 400, says: `"partitons"`},
		{name: "unknown field in batch", method: "POST", path: "/api/v1/commands", body: `{"commands":[{"type":"RequestTopic","topic":"errs-y","colour":"red"}]}`, want: 400, says: `"colour"`},
		{name: "unknown field in decision", method: "POST", path: "/api/v1/topics/errs-approved/reject", body: `{"reason":"x","why":"y"}`, want: 400, says: `"why"`},
		{name: "unknown field in token request", method: "POST", path: "/api/v1/tokens", body: `{"name":"t","role":"viewer","admin":true}`, want: 400, says: `"admin"`},
		{name: "a key twice", method: "POST", path: "/api/v1/topics", body: `{"name":"errs-dup","dry_run":true,"dry_run":false}`, want: 400, says: `key "dry_run" appears twice`},
		{name: "a config key twice", method: "POST", path: "/api/v1/topics", body: `{"name":"errs-dup","configs":{"retention.ms":"1","retention.ms":"2"}}`, want: 400, says: `key "retention.ms" appears twice`},
		{name: "a key twice in a batch", method: "POST", path: "/api/v1/commands", body: `{"commands":[{"type":"RequestTopic","topic":"errs-dup","topic":"errs-other"}]}`, want: 400, says: `key "topic" appears twice`},
		{name: "a key in capitals", method: "POST", path: "/api/v1/topics", body: `{"NAME":"errs-case"}`, want: 400, says: `unknown field "NAME" (keys are case-sensitive: "name")`},
		{name: "a key in another case in a decision", method: "POST", path: "/api/v1/topics/errs-approved/reject", body: `{"Reason":"x"}`, want: 400, says: `unknown field "Reason"`},
		{name: "a key in another case in a batch", method: "POST", path: "/api/v1/commands", body: `{"Commands":[]}`, want: 400, says: `unknown field "Commands"`},
		{name: "body over 1 MiB", method: "POST", path: "/api/v1/topics", body: overMiB(`{"name":"errs-big","reason":"`), want: 413, says: "too large"},
		{name: "batch over 1 MiB", method: "POST", path: "/api/v1/commands", body: overMiB(`{"commands":[{"type":"RequestTopic","topic":"errs-big","reason":"`), want: 413, says: "too large"},
		{name: "decision over 1 MiB", method: "POST", path: "/api/v1/topics/errs-approved/deactivate", body: overMiB(`{"reason":"`), want: 413, says: "too large"},
		{name: "invalid topic name", method: "POST", path: "/api/v1/topics", body: `{"name":"no spaces allowed"}`, want: 400, says: "invalid topic name"},
		{name: "reserved topic name", method: "POST", path: "/api/v1/topics", body: `{"name":"kds.mine"}`, want: 400, says: "invalid topic name"},
		{name: "empty topic name", method: "POST", path: "/api/v1/topics", body: `{}`, want: 400, says: "invalid topic name"},
		{name: "too many partitions", method: "POST", path: "/api/v1/topics", body: `{"name":"errs-wide","partitions":5000}`, want: 400, says: "at most 1000"},
		{name: "too many configs", method: "POST", path: "/api/v1/topics", body: `{"name":"errs-cfgs","configs":{` + manyConfigs(topic.MaxConfigs+1) + `}}`, want: 400, says: "at most 100 configs, got 101"},
		{name: "config key too long", method: "POST", path: "/api/v1/topics", body: `{"name":"errs-cfgk","configs":{"` + strings.Repeat("k", topic.MaxConfigKeyLength+1) + `":"1"}}`, want: 400, says: "config key of 129 bytes"},
		{name: "bad config", method: "POST", path: "/api/v1/topics", body: `{"name":"errs-cfg","configs":{"retention.ms":"soon"}}`, want: 400, says: "retention.ms"},
		// Under 1 MiB as sent; six times that as Go's JSON encoder escapes '<'.
		{name: "a MB of '<' in configs", method: "POST", path: "/api/v1/topics", body: configs("errs-lt", 1000, 1000, "<"), want: 400, says: "more than the 65536 a command may have"},
		{name: "configs larger once encoded", method: "POST", path: "/api/v1/topics", body: configs("errs-ctl", 20, 1000, `\u0001`), want: 400, says: "more than the 65536 a command may have"},
		{name: "too many configs", method: "POST", path: "/api/v1/topics", body: configs("errs-many", 101, 1, "1"), want: 400, says: "at most 100 configs, got 101"},
		{name: "a reason with a bidirectional override", method: "POST", path: "/api/v1/topics", body: `{"name":"errs-rtl","reason":"ok \u202egnp.exe"}`, want: 400, says: `reason: character '\u202e' at position 4 is not allowed`},
		{name: "a reason that is not UTF-8", method: "POST", path: "/api/v1/topics", body: "{\"name\":\"errs-utf8\",\"reason\":\"bad \xff byte\"}", want: 400, says: "the request body is not UTF-8 (byte 0xff at offset 34)"},
		{name: "a reason with a NUL", method: "POST", path: "/api/v1/topics/errs-approved/deactivate", body: `{"reason":"a\u0000b"}`, want: 400, says: `reason: character '\x00' at position 2`},
		{name: "a reason with an escape sequence", method: "POST", path: "/api/v1/commands", body: `{"commands":[{"type":"RequestTopic","topic":"errs-esc","reason":"\u001b[2J"}]}`, want: 400, says: `reason: character '\x1b' at position 1`},
		{name: "reason too long", method: "POST", path: "/api/v1/topics", body: `{"name":"errs-why","reason":"` + strings.Repeat("r", command.MaxReasonLength+1) + `"}`, want: 400, says: "reason"},
		{name: "unknown topic", method: "GET", path: "/api/v1/topics/errs-nope", want: 404, says: `"errs-nope" not found`},
		{name: "history of unknown topic", method: "GET", path: "/api/v1/topics/errs-nope/history", want: 404, says: "not found"},
		{name: "approve unknown topic", method: "POST", path: "/api/v1/topics/errs-nope/approve", want: 404, says: "not found"},
		{name: "unknown command", method: "GET", path: "/api/v1/commands/00000000-0000-7000-8000-000000000000", want: 404, says: "not found"},
		{name: "illegal transition", method: "POST", path: "/api/v1/topics/errs-approved/approve", want: 409, says: "already approved"},
		{name: "request a live name again", method: "POST", path: "/api/v1/topics", body: `{"name":"errs-approved"}`, want: 409, says: "already exists"},
		{name: "collision", method: "POST", path: "/api/v1/topics", body: `{"name":"errs_collide"}`, want: 409, says: "collides"},
		{name: "broker refusal", method: "POST", path: "/api/v1/topics", body: `{"name":"errs-rf2","replication_factor":2}`, want: 422, says: "replication factor"},
		{name: "broker refusal on dry run", method: "POST", path: "/api/v1/topics", body: `{"name":"errs-rf2","replication_factor":2,"dry_run":true}`, want: 422, says: "replication factor"},
		{name: "wait not a duration", method: "GET", path: waitURL + "?wait=forever", want: 400, says: "wait"},
		{name: "negative wait", method: "GET", path: waitURL + "?wait=-1s", want: 400, says: "wait"},
		{name: "wait too long", method: "GET", path: waitURL + "?wait=6m", want: 400, says: "wait"},
		{name: "bad wait on topic", method: "GET", path: "/api/v1/topics/errs-approved?wait_while=approved&wait=soon", want: 400, says: "wait"},
		{name: "unknown wait_while status", method: "GET", path: "/api/v1/topics/errs-approved?wait_while=sleeping&wait=1s", want: 400, says: "sleeping"},
		{name: "unknown status filter", method: "GET", path: "/api/v1/topics?status=sleeping", want: 400, says: "sleeping"},
		{name: "bad limit", method: "GET", path: "/api/v1/commands?limit=0", want: 400, says: "limit"},
		{name: "empty batch", method: "POST", path: "/api/v1/commands", body: `{"commands":[]}`, want: 400, says: "1 to"},
		{name: "unknown action", method: "POST", path: "/api/v1/topics/x/explode", want: 400, says: `unknown action "explode"`},
		{name: "unknown role", method: "POST", path: "/api/v1/tokens", body: `{"name":"t","role":"root"}`, want: 400, says: "unknown role"},
		{name: "bad token name", method: "POST", path: "/api/v1/tokens", body: `{"name":"a b","role":"viewer"}`, want: 400, says: "invalid token name"},
		{name: "a token named as kds's admin", method: "POST", path: "/api/v1/tokens", body: `{"name":"Admin","role":"viewer"}`, want: 400, says: "kds records its own actions as admin"},
		{name: "a token named as the topic manager", method: "POST", path: "/api/v1/tokens", body: `{"name":"topic-manager","role":"admin"}`, want: 400, says: "kds records its own actions as topic-manager"},
		{name: "a token named as a live one", method: "POST", path: "/api/v1/tokens", body: `{"name":"errs-taken","role":"viewer"}`, want: 409, says: `token "errs-taken": a live token has that name`},
		{name: "revoke unknown token", method: "DELETE", path: "/api/v1/tokens/000000000000", want: 404, says: "not found"},
		{name: "unknown route", method: "GET", path: "/api/v1/nothing", want: 404, says: "no API route"},
		{name: "unknown version", method: "GET", path: "/api/v2/topics", want: 404, says: "no API route"},
		{name: "unrouted method", method: "DELETE", path: "/api/v1/topics/errs-approved", want: 404, says: "no API route"},
		{name: "too deep", method: "GET", path: "/api/v1/topics/errs-approved/history/more", want: 404, says: "no API route"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var body []byte
			if c.method == "POST" {
				body = []byte(c.body)
			}
			got := a.do(t, c.method, c.path, bootstrapToken, body)
			if got.status != c.want {
				t.Fatalf("%s %s: got %d, want %d: %.300s", c.method, c.path, got.status, c.want, got.body)
			}
			if eb := got.errorBody(t); !strings.Contains(strings.ToLower(eb.Error), strings.ToLower(c.says)) {
				t.Fatalf("%s %s: error %q does not say %q", c.method, c.path, eb.Error, c.says)
			}
		})
	}

	t.Run("client", func(t *testing.T) {
		t.Parallel()
		_, err := a.admin.Decide(ctx, "errs-approved", "approve", "again")
		var ae *apiclient.APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusConflict || !strings.Contains(ae.Message, "already approved") {
			t.Fatalf("client approving an approved topic: %#v", err)
		}
	})
}

// manyConfigs is n config members of a JSON object.
func manyConfigs(n int) string {
	members := make([]string, n)
	for i := range members {
		members[i] = fmt.Sprintf(`"made.up.%d":"1"`, i)
	}
	return strings.Join(members, ",")
}

// TestBatchIsAllOrNothing checks that a batch with a bad command queues
// nothing and says what is wrong with each, and that a good batch is
// queued in the order asked.
func TestBatchIsAllOrNothing(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	ctx := context.Background()
	req := func(typ command.Type, name string) apiv1.BatchCommand {
		return apiv1.BatchCommand{Type: typ, Topic: name, Partitions: 1}
	}

	bad := []struct {
		name     string
		commands []apiv1.BatchCommand
		problems []string
	}{
		{name: "one bad name", commands: []apiv1.BatchCommand{req(command.RequestTopicType, "batch-ok-1"), req(command.RequestTopicType, "bad name")},
			problems: []string{`invalid topic name "bad name"`}},
		{name: "two problems", commands: []apiv1.BatchCommand{
			req(command.RequestTopicType, "batch-ok-2"), req(command.RequestTopicType, "kds.internal"),
			req(command.RequestTopicType, "batch-ok-3"), req("ExplodeTopic", "batch-ok-4")},
			problems: []string{`invalid topic name "kds.internal"`, `unknown command type "ExplodeTopic"`}},
	}
	for _, b := range bad {
		got := a.do(t, http.MethodPost, "/api/v1/commands", bootstrapToken, mustJSON(t, apiv1.BatchRequest{Commands: b.commands}))
		if got.status != http.StatusBadRequest {
			t.Fatalf("%s: got %d, want 400: %s", b.name, got.status, got.body)
		}
		eb := got.errorBody(t)
		if len(eb.Problems) != len(b.problems) {
			t.Fatalf("%s: problems %q, want %d", b.name, eb.Problems, len(b.problems))
		}
		for i, want := range b.problems {
			if !strings.Contains(eb.Problems[i], want) || !strings.Contains(eb.Error, want) {
				t.Errorf("%s: problem %d is %q (error %q), want it to say %q", b.name, i, eb.Problems[i], eb.Error, want)
			}
		}
	}
	if cmds, err := a.admin.Commands(ctx, query.CommandFilter{}); err != nil || len(cmds) != 0 {
		t.Fatalf("bad batches queued %d commands (%v)", len(cmds), err)
	}
	if _, err := a.admin.Topic(ctx, "batch-ok-1"); apiStatus(err) != http.StatusNotFound {
		t.Fatalf("the good command of a bad batch was applied: %v", err)
	}

	const n = 50
	good := apiv1.BatchRequest{}
	for i := range n {
		good.Commands = append(good.Commands, req(command.RequestTopicType, fmt.Sprintf("batch-%02d", i)))
	}
	queued, err := a.admin.Batch(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	if len(queued) != n {
		t.Fatalf("%d commands in the answer, want %d", len(queued), n)
	}
	for i, c := range queued {
		if c.Topic != good.Commands[i].Topic || c.Type != command.RequestTopicType || c.Status != command.Queued || c.ID == "" || c.Actor != auth.BootstrapAdminName {
			t.Fatalf("answer %d is %+v, want a queued request for %s", i, c, good.Commands[i].Topic)
		}
	}
	listed, err := a.admin.Commands(ctx, query.CommandFilter{Status: command.Queued, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, c := range listed {
		ids[c.ID] = true
	}
	for _, c := range queued {
		if !ids[c.ID] {
			t.Errorf("command %s (%s) is not listed as queued", c.ID, c.Topic)
		}
		if got, err := a.admin.Command(ctx, c.ID, 0); err != nil || got.Status != command.Queued || got.Topic != c.Topic {
			t.Errorf("command %s: %+v, %v", c.ID, got, err)
		}
	}
	if len(listed) != n {
		t.Errorf("%d queued commands listed, want %d", len(listed), n)
	}

	// Order on kds.commands is the order in the outbox.
	if got, want := outboxCommandIDs(t, a.db), commandIDs(queued); !slices.Equal(got, want) {
		t.Fatalf("outbox holds commands\n%q\nwant\n%q", got, want)
	}
}

func commandIDs(cmds []query.Command) []string {
	ids := make([]string, len(cmds))
	for i, c := range cmds {
		ids[i] = c.ID
	}
	return ids
}

// outboxCommandIDs reads the ids of the commands waiting in the outbox for
// kds.commands, in the order the forwarder will publish them.
func outboxCommandIDs(t *testing.T, db *sql.DB) []string {
	t.Helper()
	var ids []string
	for _, m := range mysqltest.Outbox(t, db) {
		if m.Destination != topic.CommandsTopic {
			continue
		}
		var c command.Command
		if err := json.Unmarshal(m.Payload, &c); err != nil {
			t.Fatalf("outbox command: %v", err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

// lateAction is how long a test waits before it acts on what a request
// waits for. Nothing depends on it for correctness: it only makes it
// likely that the request is already waiting when the event comes.
const lateAction = 100 * time.Millisecond

// TestWaitForCommand checks that a request waiting for a command returns as
// soon as the command is settled, and with the queued command once the
// wait is over.
func TestWaitForCommand(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	ctx := context.Background()

	t.Run("applied while waiting", func(t *testing.T) {
		t.Parallel()
		r, err := a.admin.RequestTopic(ctx, apiv1.TopicRequest{Name: "wait-cmd"})
		if err != nil {
			t.Fatal(err)
		}
		applied := make(chan error, 1)
		time.AfterFunc(lateAction, func() {
			err := a.app.Commands.Apply.Handle(ctx, r.Command.Command)
			a.events.Publish(topic.Event{Type: topic.TopicRequested, Topic: "wait-cmd", CommandID: r.Command.ID})
			applied <- err
		})
		start := time.Now()
		got, err := a.admin.Command(ctx, r.Command.ID, 5*time.Second)
		elapsed := time.Since(start)
		if err := <-applied; err != nil {
			t.Fatal(err)
		}
		if err != nil || got.Status != command.Applied {
			t.Fatalf("wait: %+v, %v; want applied", got, err)
		}
		if elapsed >= 4*time.Second {
			t.Fatalf("returned after %v, want well before the 5s wait", elapsed)
		}
	})

	t.Run("rejected while waiting", func(t *testing.T) {
		t.Parallel()
		a.pending(t, "wait-rejected")
		first, err := a.admin.Decide(ctx, "wait-rejected", "approve", "")
		if err != nil {
			t.Fatal(err)
		}
		second, err := a.admin.Decide(ctx, "wait-rejected", "approve", "")
		if err != nil {
			t.Fatal(err)
		}
		a.apply(t, first)
		refused := make(chan error, 1)
		time.AfterFunc(lateAction, func() {
			err := a.app.Commands.Apply.Handle(ctx, second.Command)
			a.events.Publish(topic.Event{Type: topic.CommandRejected, Topic: "wait-rejected", CommandID: second.ID})
			refused <- err
		})
		start := time.Now()
		got, err := a.admin.Command(ctx, second.ID, 5*time.Second)
		elapsed := time.Since(start)
		var illegal *topic.IllegalTransitionError
		if err := <-refused; !errors.As(err, &illegal) {
			t.Fatalf("applying the second approval: %v, want an illegal transition", err)
		}
		if err != nil || got.Status != command.Rejected || !strings.Contains(got.Error, "already approved") {
			t.Fatalf("wait: %+v, %v; want rejected as already approved", got, err)
		}
		if elapsed >= 4*time.Second {
			t.Fatalf("returned after %v, want well before the 5s wait", elapsed)
		}
	})

	t.Run("nothing happens", func(t *testing.T) {
		t.Parallel()
		r, err := a.admin.RequestTopic(ctx, apiv1.TopicRequest{Name: "wait-idle"})
		if err != nil {
			t.Fatal(err)
		}
		const wait = 300 * time.Millisecond
		start := time.Now()
		got, err := a.admin.Command(ctx, r.Command.ID, wait)
		elapsed := time.Since(start)
		if err != nil || got.Status != command.Queued || got.ID != r.Command.ID {
			t.Fatalf("wait: %+v, %v; want the queued command", got, err)
		}
		if elapsed < wait || elapsed > 5*time.Second {
			t.Fatalf("returned after %v, want after the %v wait", elapsed, wait)
		}
	})

	t.Run("already settled", func(t *testing.T) {
		t.Parallel()
		cmd := a.pending(t, "wait-settled")
		start := time.Now()
		got, err := a.admin.Command(ctx, cmd.ID, 5*time.Second)
		if err != nil || got.Status != command.Applied {
			t.Fatalf("wait: %+v, %v", got, err)
		}
		if elapsed := time.Since(start); elapsed >= 4*time.Second {
			t.Fatalf("a settled command took %v", elapsed)
		}
	})

	t.Run("unknown command", func(t *testing.T) {
		t.Parallel()
		_, err := a.admin.Command(ctx, "00000000-0000-7000-8000-000000000000", 5*time.Second)
		if apiStatus(err) != http.StatusNotFound {
			t.Fatalf("waiting for an unknown command: %v, want 404", err)
		}
	})
}

// countedReads is a read model that counts the reads of commands and
// topics, the reads a waiting request repeats.
type countedReads struct {
	query.ReadModel
	reads atomic.Int64
}

func (c *countedReads) Command(ctx context.Context, id string) (query.Command, error) {
	c.reads.Add(1)
	return c.ReadModel.Command(ctx, id)
}

func (c *countedReads) Topic(ctx context.Context, name string) (query.Topic, error) {
	c.reads.Add(1)
	return c.ReadModel.Topic(ctx, name)
}

// TestWaitingIsCheap: a request waiting for an outcome reads MySQL when it
// starts and when an event about its topic arrives, not over and over
// while nothing happens, so that many waiting requests cost the database
// next to nothing.
func TestWaitingIsCheap(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	reads := &countedReads{ReadModel: mysql.NewReadModel(a.db)}
	a.app.Queries = query.NewQueries(reads)
	w := a.serve(t)
	ctx := context.Background()
	queued, err := w.admin.RequestTopic(ctx, apiv1.TopicRequest{Name: "wait-cheap"})
	if err != nil {
		t.Fatal(err)
	}
	a.approved(t, "wait-cheap-topic")

	const waiters = 50
	const wait = 1500 * time.Millisecond
	start := reads.reads.Load()
	var wg sync.WaitGroup
	for i := range waiters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if i%2 == 0 {
				_, err = w.admin.Command(ctx, queued.Command.ID, wait)
			} else {
				_, err = w.admin.WaitTopic(ctx, "wait-cheap-topic", topic.Approved, wait)
			}
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// Two reads at most each: the first answer and the wait's first look.
	if n := reads.reads.Load() - start; n > 2*waiters {
		t.Errorf("%d waits of %v with nothing happening read MySQL %d times, want at most %d", waiters, wait, n, 2*waiters)
	}

	// An event about another topic wakes nobody; one about the topic
	// wakes its waiters, which read once more and see the outcome.
	done := make(chan query.Topic, 1)
	go func() {
		got, err := w.admin.WaitTopic(ctx, "wait-cheap-topic", topic.Approved, 30*time.Second)
		if err != nil {
			t.Error(err)
		}
		done <- got
	}()
	activated := make(chan error, 1)
	time.AfterFunc(lateAction, func() {
		w.events.Publish(topic.Event{Type: topic.TopicRequested, Topic: "elsewhere"})
		err := a.app.Commands.TopicManager.Activate(ctx, "wait-cheap-topic", 1)
		w.events.Publish(topic.Event{Type: topic.TopicActivated, Topic: "wait-cheap-topic", Status: topic.Active})
		activated <- err
	})
	if err := <-activated; err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-done:
		if got.Status != topic.Active {
			t.Fatalf("woken with %+v, want active", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the waiting request was not woken by the event about its topic")
	}
}

// TestWaitForTopic checks wait_while: the request returns once the topic
// leaves the status, or with the topic unchanged once the wait is over.
func TestWaitForTopic(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	ctx := context.Background()

	t.Run("activated while waiting", func(t *testing.T) {
		t.Parallel()
		a.approved(t, "wait-topic")
		activated := make(chan error, 1)
		time.AfterFunc(lateAction, func() {
			err := a.app.Commands.TopicManager.Activate(ctx, "wait-topic", 1)
			a.events.Publish(topic.Event{Type: topic.TopicActivated, Topic: "wait-topic", Status: topic.Active, Generation: 1})
			activated <- err
		})
		start := time.Now()
		got, err := a.admin.WaitTopic(ctx, "wait-topic", topic.Approved, 5*time.Second)
		elapsed := time.Since(start)
		if err := <-activated; err != nil {
			t.Fatal(err)
		}
		if err != nil || got.Status != topic.Active {
			t.Fatalf("wait: %+v, %v; want active", got, err)
		}
		if elapsed >= 4*time.Second {
			t.Fatalf("returned after %v, want well before the 5s wait", elapsed)
		}
		if !a.cluster.Exists("wait-topic") {
			t.Fatal("the topic is active but not in the cluster")
		}
	})

	t.Run("nothing happens", func(t *testing.T) {
		t.Parallel()
		a.approved(t, "wait-topic-idle")
		const wait = 300 * time.Millisecond
		start := time.Now()
		got, err := a.admin.WaitTopic(ctx, "wait-topic-idle", topic.Approved, wait)
		elapsed := time.Since(start)
		if err != nil || got.Status != topic.Approved {
			t.Fatalf("wait: %+v, %v; want still approved", got, err)
		}
		if elapsed < wait || elapsed > 5*time.Second {
			t.Fatalf("returned after %v, want after the %v wait", elapsed, wait)
		}
	})

	t.Run("not in that status", func(t *testing.T) {
		t.Parallel()
		a.pending(t, "wait-topic-pending")
		start := time.Now()
		got, err := a.admin.WaitTopic(ctx, "wait-topic-pending", topic.Approved, 5*time.Second)
		if err != nil || got.Status != topic.Pending {
			t.Fatalf("wait: %+v, %v", got, err)
		}
		if elapsed := time.Since(start); elapsed >= 4*time.Second {
			t.Fatalf("a topic not in the wait_while status took %v", elapsed)
		}
	})

	t.Run("unknown topic", func(t *testing.T) {
		t.Parallel()
		_, err := a.admin.WaitTopic(ctx, "wait-nope", topic.Approved, 5*time.Second)
		if apiStatus(err) != http.StatusNotFound {
			t.Fatalf("waiting for an unknown topic: %v, want 404", err)
		}
	})
}

// TestReadyzAndHealthz checks liveness, which depends on nothing, and
// readiness, which lists every check and fails when one does.
func TestReadyzAndHealthz(t *testing.T) {
	t.Parallel()
	pass := func(context.Context) error { return nil }
	cases := []struct {
		name   string
		checks []httpapi.Check
		want   int
		report map[string]string
	}{
		{name: "no checks", want: http.StatusOK, report: map[string]string{}},
		{name: "all pass", checks: []httpapi.Check{{Name: "mysql", Fn: pass}, {Name: "kafka", Fn: pass}},
			want: http.StatusOK, report: map[string]string{"mysql": "ok", "kafka": "ok"}},
		{name: "kafka down", checks: []httpapi.Check{{Name: "mysql", Fn: pass}, {Name: "kafka", Fn: func(context.Context) error {
			return errors.New("cannot reach Kafka at 127.0.0.1:9092: connection refused")
		}}}, want: http.StatusServiceUnavailable, report: map[string]string{"mysql": "ok", "kafka": "cannot reach Kafka at 127.0.0.1:9092: connection refused"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// Neither endpoint touches the application.
			srv := httptest.NewServer(httpapi.NewServer(app.Application{}, httpapi.NewBroadcaster(), c.checks, slog.New(slog.DiscardHandler)))
			defer srv.Close()
			a := &api{url: srv.URL}

			health := a.do(t, http.MethodGet, "/healthz", "", nil)
			if health.status != http.StatusOK || !json.Valid(health.body) {
				t.Fatalf("/healthz: %d %s", health.status, health.body)
			}
			ready := a.do(t, http.MethodGet, "/readyz", "", nil)
			if ready.status != c.want {
				t.Fatalf("/readyz: got %d, want %d: %s", ready.status, c.want, ready.body)
			}
			var rd apiv1.Readiness
			if err := json.Unmarshal(ready.body, &rd); err != nil {
				t.Fatalf("/readyz body: %v: %s", err, ready.body)
			}
			if rd.Ready != (c.want == http.StatusOK) || len(rd.Checks) != len(c.report) {
				t.Fatalf("/readyz: %+v, want %v", rd, c.report)
			}
			for name, want := range c.report {
				if rd.Checks[name] != want {
					t.Errorf("check %s: %q, want %q", name, rd.Checks[name], want)
				}
			}
		})
	}
}

// TestTokenSecretShownOnce checks that a token's secret is in the answer
// that creates it and nowhere else: not in listings, not in the database.
func TestTokenSecretShownOnce(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	ctx := context.Background()

	created := a.do(t, http.MethodPost, "/api/v1/tokens", bootstrapToken, mustJSON(t, apiv1.TokenRequest{Name: "ci-bot", Role: auth.Producer}))
	if created.status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	var tok apiv1.TokenView
	if err := json.Unmarshal(created.body, &tok); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.Secret, "kds_"+tok.ID+"_") || tok.Name != "ci-bot" || tok.Role != auth.Producer || tok.CreatedBy != auth.BootstrapAdminName {
		t.Fatalf("created token: %+v", tok)
	}
	who, err := a.client(t, tok.Secret).Whoami(ctx)
	if err != nil || who.Name != "ci-bot" || who.Role != auth.Producer {
		t.Fatalf("whoami with the new token: %+v, %v", who, err)
	}

	listed := a.do(t, http.MethodGet, "/api/v1/tokens", bootstrapToken, nil)
	if listed.status != http.StatusOK {
		t.Fatalf("list: %d %s", listed.status, listed.body)
	}
	_, random, _ := strings.Cut(strings.TrimPrefix(tok.Secret, "kds_"), "_")
	if bytes.Contains(listed.body, []byte(random)) {
		t.Fatalf("the listing holds the secret: %s", listed.body)
	}
	if bytes.Contains(listed.body, []byte(bootstrapToken)) {
		t.Fatalf("the listing holds the bootstrap admin token: %s", listed.body)
	}
	// The bootstrap admin token in use comes first, then the stored ones.
	var views []map[string]any
	if err := json.Unmarshal(listed.body, &views); err != nil || len(views) != 2 {
		t.Fatalf("listing: %v: %s", err, listed.body)
	}
	if views[0]["id"] != auth.BootstrapTokenID || views[0]["bootstrap"] != true || views[0]["last_used"] == nil {
		t.Fatalf("listed bootstrap admin token: %v", views[0])
	}
	if _, ok := views[1]["token"]; ok || views[1]["id"] != tok.ID || views[1]["last_used"] == nil || views[1]["bootstrap"] != nil {
		t.Fatalf("listed token: %v", views[1])
	}

	var (
		id, name, role, createdBy string
		hash                      []byte
	)
	if err := a.db.QueryRowContext(ctx, "SELECT id, name, role, hash, created_by FROM tokens").Scan(&id, &name, &role, &hash, &createdBy); err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256([]byte(tok.Secret)); !bytes.Equal(hash, want[:]) {
		t.Fatalf("stored hash %x, want the SHA-256 of the secret %x", hash, want)
	}
	for _, col := range [][]byte{[]byte(id), []byte(name), []byte(role), hash, []byte(createdBy)} {
		if bytes.Contains(col, []byte(random)) {
			t.Fatal("the secret is stored in the clear")
		}
	}
}

// FuzzRequestTopicBody posts arbitrary bodies as topic requests: whatever
// arrives, the answer is JSON and never a server error. Plain go test runs
// the seeds.
func FuzzRequestTopicBody(f *testing.F) {
	a := newAPI(f)
	for _, seed := range []string{
		`{"name":"fuzz-a"}`,
		`{"name":"fuzz-a"}`,
		`{"name":"fuzz-b","partitions":6,"replication_factor":1,"configs":{"retention.ms":"60000","cleanup.policy":"compact,delete"},"reason":"seed"}`,
		`{"name":"fuzz-c","dry_run":true}`,
		`{"name":"fuzz-d","replication_factor":2}`,
		`{"name":"fuzz-e","partitions":-1,"replication_factor":-1}`,
		`{"name":"fuzz-f","partitions":99999999999}`,
		`{"name":"fuzz-g","configs":{"Bad Key":"x","segment.bytes":"1"}}`,
		`{"name":"fuzz.h"}`, `{"name":"fuzz_h"}`,
		`{"name":"kds.commands"}`, `{"name":"__consumer_offsets"}`, `{"name":".."}`,
		`{"name":"` + strings.Repeat("n", 250) + `"}`,
		`{"name":"fuzz-i","reason":"` + strings.Repeat("é", 600) + `"}`,
		`{"name":"fuzz-j","reason":"\u0000\ud800 nul and a lone surrogate"}`,
		`{"name":"fuzz-k","configs":null,"reason":null}`,
		`{"name":"fuzz-l","unknown":1}`,
		`{"name":"fuzz-m"} trailing`,
		`{"name":"ünïcödé"}`,
		`{"name":1}`, `null`, `[]`, `"name"`, `{}`, ``, `{`, "\xff\xfe\x00",
		strings.Repeat("[", 20000),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := a.do(t, http.MethodPost, "/api/v1/topics", bootstrapToken, body)
		if got.status >= 500 {
			t.Fatalf("%d for body %q: %s", got.status, body, got.body)
		}
		if ct := got.header.Get("Content-Type"); ct != "application/json" || !json.Valid(got.body) {
			t.Fatalf("%d for body %q is not JSON (Content-Type %q): %s", got.status, body, ct, got.body)
		}
	})
}

// Package apiclient is the Go client of kds's HTTP API, for the CLI and for
// programs written in Go. It speaks the types of apiv1 and imports nothing
// of the server.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/app/access"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/app/topic"
)

// Client calls the API for the CLI and for scripts written in Go.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// New calls the API at baseURL with token.
func New(baseURL, token string) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("API URL %q: want http://host:port or https://host:port", RedactURL(baseURL))
	}
	return &Client{base: u, token: token, http: &http.Client{}}, nil
}

// URL is where the client calls the API, with any password in it hidden.
func (c *Client) URL() string { return c.base.Redacted() }

// RedactURL is raw with the password of its user hidden, as
// url.URL.Redacted shows it, even when raw does not parse as a URL.
func RedactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		scheme, rest = "", raw
	} else {
		scheme += "://"
	}
	host := rest
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		host = rest[:end]
	}
	at := strings.LastIndex(host, "@")
	if at < 0 {
		return raw
	}
	user, _, hasPassword := strings.Cut(host[:at], ":")
	if !hasPassword {
		return raw
	}
	return scheme + user + ":xxxxx" + rest[at:]
}

// APIError is an error answer from the API.
type APIError struct {
	Status   int
	Message  string
	Problems []string
}

func (e *APIError) Error() string { return e.Message }

// UnreachableError is returned when the API does not answer at all.
type UnreachableError struct {
	URL string
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the kds API at %s: %v (is kds serve or kds dev running? KDS_API_URL says where)", e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// do calls path, whose segments are already escaped.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body, out any) error {
	u := *c.base
	u.RawPath = c.base.EscapedPath() + path
	unescaped, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return err
	}
	u.Path = unescaped
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &UnreachableError{URL: c.URL(), Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var eb apiv1.ErrorBody
		if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil || eb.Error == "" {
			// Not an error of kds's API: most likely KDS_API_URL names
			// another server, so say which.
			return &APIError{Status: resp.StatusCode, Message: fmt.Sprintf(
				"%s %s: the server at %s answered %s, not as the kds API answers (is KDS_API_URL right?)", method, path, c.URL(), resp.Status)}
		}
		return &APIError{Status: resp.StatusCode, Message: eb.Error, Problems: eb.Problems}
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: the server at %s gave an answer that is not the kds API's (is KDS_API_URL right?): %w", method, path, c.URL(), err)
	}
	return nil
}

// segment escapes one path segment; "." and ".." would be resolved away
// and name no topic.
func segment(s string) (string, error) {
	if s == "" || s == "." || s == ".." {
		return "", &APIError{Status: http.StatusBadRequest, Message: fmt.Sprintf("%q names no topic, command or token", s)}
	}
	return url.PathEscape(s), nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Whoami says who the token belongs to.
func (c *Client) Whoami(ctx context.Context) (apiv1.Whoami, error) {
	var w apiv1.Whoami
	return w, c.do(ctx, http.MethodGet, "/api/v1/whoami", nil, nil, &w)
}

// Topics lists topics, of one status when status is not empty.
func (c *Client) Topics(ctx context.Context, status topic.Status) ([]query.Topic, error) {
	q := url.Values{}
	if status != "" {
		q.Set("status", string(status))
	}
	var ts []query.Topic
	return ts, c.do(ctx, http.MethodGet, "/api/v1/topics", q, nil, &ts)
}

// Topic shows one topic.
func (c *Client) Topic(ctx context.Context, name string) (query.Topic, error) {
	return c.WaitTopic(ctx, name, "", 0)
}

// WaitTopic shows a topic once it is no longer in status while, or when
// wait is over.
func (c *Client) WaitTopic(ctx context.Context, name string, while topic.Status, wait time.Duration) (query.Topic, error) {
	q := url.Values{}
	if while != "" {
		q.Set("wait_while", string(while))
		q.Set("wait", wait.String())
	}
	var t query.Topic
	seg, err := segment(name)
	if err != nil {
		return t, err
	}
	return t, c.do(ctx, http.MethodGet, "/api/v1/topics/"+seg, q, nil, &t)
}

// Usage is what every active topic holds and how far behind every live
// subscription is, as the API read them last.
func (c *Client) Usage(ctx context.Context) (apiv1.UsageReport, error) {
	var u apiv1.UsageReport
	return u, c.do(ctx, http.MethodGet, "/api/v1/usage", nil, nil, &u)
}

// TopicUsage is what an active topic holds, how far behind its
// subscriptions are, and the last hour of readings.
func (c *Client) TopicUsage(ctx context.Context, name string) (apiv1.TopicUsageReport, error) {
	var u apiv1.TopicUsageReport
	seg, err := segment(name)
	if err != nil {
		return u, err
	}
	return u, c.do(ctx, http.MethodGet, "/api/v1/topics/"+seg+"/usage", nil, nil, &u)
}

// Records reads a page of an active topic's messages; q holds the
// parameters of GET /api/v1/topics/{name}/records (offset, from,
// partition, key, grep, limit).
func (c *Client) Records(ctx context.Context, name string, q url.Values) (content.Page, error) {
	var p content.Page
	seg, err := segment(name)
	if err != nil {
		return p, err
	}
	return p, c.do(ctx, http.MethodGet, "/api/v1/topics/"+seg+"/records", q, nil, &p)
}

// History lists a topic's transitions across generations.
func (c *Client) History(ctx context.Context, name string) ([]query.Transition, error) {
	var h []query.Transition
	seg, err := segment(name)
	if err != nil {
		return nil, err
	}
	return h, c.do(ctx, http.MethodGet, "/api/v1/topics/"+seg+"/history", nil, nil, &h)
}

// RequestTopic asks for a topic, or only checks the request on a dry run.
func (c *Client) RequestTopic(ctx context.Context, req apiv1.TopicRequest) (apiv1.CommandResponse, error) {
	var r apiv1.CommandResponse
	return r, c.do(ctx, http.MethodPost, "/api/v1/topics", nil, req, &r)
}

// Decide approves, rejects or deactivates a topic.
func (c *Client) Decide(ctx context.Context, name, action, reason string) (query.Command, error) {
	var r apiv1.CommandResponse
	seg, err := segment(name)
	if err != nil {
		return r.Command, err
	}
	err = c.do(ctx, http.MethodPost, "/api/v1/topics/"+seg+"/"+action, nil, apiv1.Decision{Reason: reason}, &r)
	return r.Command, err
}

// UpdateTopic changes an active topic to what u says.
func (c *Client) UpdateTopic(ctx context.Context, name string, u apiv1.TopicUpdate) (query.Command, error) {
	var r apiv1.CommandResponse
	seg, err := segment(name)
	if err != nil {
		return r.Command, err
	}
	err = c.do(ctx, http.MethodPut, "/api/v1/topics/"+seg, nil, u, &r)
	return r.Command, err
}

// Batch issues several commands: all are queued, or none.
func (c *Client) Batch(ctx context.Context, req apiv1.BatchRequest) ([]query.Command, error) {
	var r apiv1.BatchResponse
	return r.Commands, c.do(ctx, http.MethodPost, "/api/v1/commands", nil, req, &r)
}

// Command shows a command, waiting up to wait for its outcome.
func (c *Client) Command(ctx context.Context, id string, wait time.Duration) (query.Command, error) {
	q := url.Values{}
	if wait > 0 {
		q.Set("wait", wait.String())
	}
	var cmd query.Command
	seg, err := segment(id)
	if err != nil {
		return cmd, err
	}
	return cmd, c.do(ctx, http.MethodGet, "/api/v1/commands/"+seg, q, nil, &cmd)
}

// Commands lists logged commands, newest first.
func (c *Client) Commands(ctx context.Context, f query.CommandFilter) ([]query.Command, error) {
	q := url.Values{}
	if f.Topic != "" {
		q.Set("topic", f.Topic)
	}
	if f.Status != "" {
		q.Set("status", string(f.Status))
	}
	if f.Limit > 0 {
		q.Set("limit", fmt.Sprint(f.Limit))
	}
	var cmds []query.Command
	return cmds, c.do(ctx, http.MethodGet, "/api/v1/commands", q, nil, &cmds)
}

// CreateToken issues a token; its secret is in the answer only.
func (c *Client) CreateToken(ctx context.Context, req apiv1.TokenRequest) (apiv1.TokenView, error) {
	var t apiv1.TokenView
	return t, c.do(ctx, http.MethodPost, "/api/v1/tokens", nil, req, &t)
}

// Tokens lists tokens.
func (c *Client) Tokens(ctx context.Context) ([]apiv1.TokenView, error) {
	var ts []apiv1.TokenView
	return ts, c.do(ctx, http.MethodGet, "/api/v1/tokens", nil, nil, &ts)
}

// RevokeToken stops a token from working.
func (c *Client) RevokeToken(ctx context.Context, id string) error {
	seg, err := segment(id)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, "/api/v1/tokens/"+seg, nil, nil, nil)
}

// Drift is what the last reconciliation of MySQL with Kafka found.
func (c *Client) Drift(ctx context.Context) (command.Reconciliation, error) {
	var r command.Reconciliation
	return r, c.do(ctx, http.MethodGet, "/api/v1/drift", nil, nil, &r)
}

// Poison lists the messages on kds.poison.
func (c *Client) Poison(ctx context.Context) ([]command.PoisonMessage, error) {
	var ms []command.PoisonMessage
	return ms, c.do(ctx, http.MethodGet, "/api/v1/poison", nil, nil, &ms)
}

// RequeuePoison replays a poison message on the topic it came from.
func (c *Client) RequeuePoison(ctx context.Context, id string) (command.PoisonMessage, error) {
	var m command.PoisonMessage
	path, err := segments("/api/v1/poison/", id, "/requeue")
	if err != nil {
		return m, err
	}
	return m, c.do(ctx, http.MethodPost, path, nil, nil, &m)
}

// Cluster says where Kafka is.
func (c *Client) Cluster(ctx context.Context) (apiv1.Cluster, error) {
	var cl apiv1.Cluster
	return cl, c.do(ctx, http.MethodGet, "/api/v1/cluster", nil, nil, &cl)
}

// KafkaCredentials are the caller's own Kafka login, where kds manages
// Kafka's credentials (Cluster's ManagedCredentials).
func (c *Client) KafkaCredentials(ctx context.Context) (access.Credentials, error) {
	var cr access.Credentials
	return cr, c.do(ctx, http.MethodGet, "/api/v1/kafka/credentials", nil, nil, &cr)
}

// Access lists who may write and read each topic, as kds decided, where
// kds manages Kafka's ACLs.
func (c *Client) Access(ctx context.Context) (map[string][]access.Grant, error) {
	var a map[string][]access.Grant
	return a, c.do(ctx, http.MethodGet, "/api/v1/access", nil, nil, &a)
}

// Consumers lists consumers with their subscriptions and processes.
func (c *Client) Consumers(ctx context.Context) ([]query.Consumer, error) {
	var cs []query.Consumer
	return cs, c.do(ctx, http.MethodGet, "/api/v1/consumers", nil, nil, &cs)
}

// Consumer shows one consumer.
func (c *Client) Consumer(ctx context.Context, id string) (query.Consumer, error) {
	var cs query.Consumer
	seg, err := segment(id)
	if err != nil {
		return cs, err
	}
	return cs, c.do(ctx, http.MethodGet, "/api/v1/consumers/"+seg, nil, nil, &cs)
}

// Subscribe subscribes a consumer to an active topic; created is false when
// it already was.
func (c *Client) Subscribe(ctx context.Context, consumer, topicName string, fromBeginning bool) (sub subscription.Subscription, err error) {
	path, err := segments("/api/v1/consumers/", consumer, "/subscriptions/", topicName)
	if err != nil {
		return sub, err
	}
	return sub, c.do(ctx, http.MethodPut, path, nil, apiv1.SubscribeRequest{FromBeginning: fromBeginning}, &sub)
}

// Unsubscribe ends a consumer's subscription.
func (c *Client) Unsubscribe(ctx context.Context, consumer, topicName string) error {
	path, err := segments("/api/v1/consumers/", consumer, "/subscriptions/", topicName)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, path, nil, nil, nil)
}

// ReportInstance sends a consumer process's heartbeat.
func (c *Client) ReportInstance(ctx context.Context, consumer, instance string, rep apiv1.InstanceReport) error {
	path, err := segments("/api/v1/consumers/", consumer, "/instances/", instance)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPut, path, nil, rep, nil)
}

// LeaveInstance says a consumer process stops.
func (c *Client) LeaveInstance(ctx context.Context, consumer, instance string) error {
	path, err := segments("/api/v1/consumers/", consumer, "/instances/", instance)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, path, nil, nil, nil)
}

// segments builds a path of fixed parts and escaped values, alternating,
// fixed first.
func segments(parts ...string) (string, error) {
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 0 {
			b.WriteString(p)
			continue
		}
		seg, err := segment(p)
		if err != nil {
			return "", err
		}
		b.WriteString(seg)
	}
	return b.String(), nil
}

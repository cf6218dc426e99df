package consumer_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/cmd/kds/internal/consumer"
	"github.com/kds-io/kds/cmd/kds/internal/service"
	"github.com/kds-io/kds/cmd/kds/internal/service/servicetest"
)

// sink records what a process delivers.
type sink struct {
	mu       sync.Mutex
	values   []string
	notices  []string
	received chan struct{}
}

func newSink() *sink { return &sink{received: make(chan struct{}, 1)} }

func (s *sink) Deliver(msgs []content.Message) (int, error) {
	s.mu.Lock()
	for _, m := range msgs {
		s.values = append(s.values, m.Topic+"/"+m.Value)
	}
	s.mu.Unlock()
	select {
	case s.received <- struct{}{}:
	default:
	}
	return len(msgs), nil
}

func (s *sink) Notify(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notices = append(s.notices, fmt.Sprintf(format, args...))
}

// waitFor waits until the sink holds every one of want.
func (s *sink) waitFor(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		s.mu.Lock()
		missing := slices.DeleteFunc(slices.Clone(want), func(v string) bool { return slices.Contains(s.values, v) })
		s.mu.Unlock()
		if len(missing) == 0 {
			return
		}
		select {
		case <-s.received:
		case <-deadline:
			t.Fatalf("not delivered: %v", missing)
		}
	}
}

// fixture is a service with an active topic, its client, and the Kafka
// configuration a consumer process uses.
type fixture struct {
	api *apiclient.Client
	kc  kafka.Config
}

func newFixture(t *testing.T, topics ...string) fixture {
	t.Helper()
	cfg := servicetest.Config(t, service.AllRoles...)
	api := servicetest.Client(t, servicetest.Run(t, cfg))
	for _, name := range topics {
		servicetest.ActiveTopic(t, api, name)
	}
	return fixture{api: api, kc: cfg.Kafka}
}

// explainFailure, deferred, logs where group stands on topicName if the
// test failed: its members and, per partition, its committed offset and
// the end.
func (f fixture) explainFailure(t *testing.T, group, topicName string) {
	if !t.Failed() {
		return
	}
	admin := kafkatest.Admin(t, f.kc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	described, err := admin.DescribeGroups(ctx, group)
	t.Logf("group %s: %+v (%v)", group, described, err)
	committed, err := admin.FetchOffsets(ctx, group)
	t.Logf("committed: %+v (%v)", committed, err)
	ends, err := admin.ListEndOffsets(ctx, topicName)
	t.Logf("ends of %s: %+v (%v)", topicName, ends, err)
}

// send writes values to a topic as kds send does.
func (f fixture) send(t *testing.T, topicName string, values ...string) {
	t.Helper()
	pub, err := kafka.NewBatchPublisher(f.kc, "key")
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	msgs := make([]*message.Message, len(values))
	for i, v := range values {
		msgs[i] = message.NewMessage(watermill.NewUUID(), []byte(v))
	}
	if err := pub.Publish(topicName, msgs...); err != nil {
		t.Fatal(err)
	}
}

// TestAProcessDeliversItsSubscriptionsAndResumesThem: a process attaches a
// subscription and delivers what is sent to it; a process of the same
// consumer started later resumes the subscription where the first stopped,
// with what was sent in between, and reports itself to the API while it
// runs.
func TestAProcessDeliversItsSubscriptionsAndResumesThem(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "proc-news")
	ctx := context.Background()
	id := subscription.ConsumerID("reader")

	first := newSink()
	p, err := consumer.Start(ctx, f.api, f.kc, id, first, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := f.api.Subscribe(ctx, string(id), "proc-news", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Attach(sub); err != nil {
		t.Fatal(err)
	}
	f.send(t, "proc-news", "one", "two")
	first.waitFor(t, "proc-news/one", "proc-news/two")
	waitAlive(t, f.api, string(id), 1)
	p.Close()
	waitAlive(t, f.api, string(id), 0)

	f.send(t, "proc-news", "three")
	again := newSink()
	p, err = consumer.Start(ctx, f.api, f.kc, id, again, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	defer f.explainFailure(t, sub.Group, "proc-news")
	if got := p.Attached(); !slices.Equal(got, []string{"proc-news"}) {
		t.Fatalf("the restarted process attached %v, want the subscription it kept", got)
	}
	again.waitFor(t, "proc-news/three")
	again.mu.Lock()
	defer again.mu.Unlock()
	if slices.Contains(again.values, "proc-news/one") {
		t.Errorf("the restarted process read again what the first committed: %v", again.values)
	}
}

// TestADeactivatedTopicIsDetachedWithANotice: when an admin deactivates a
// topic, the process drops it and tells the user.
func TestADeactivatedTopicIsDetachedWithANotice(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "proc-going")
	ctx := context.Background()
	s := newSink()
	p, err := consumer.Start(ctx, f.api, f.kc, "leaver", s, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sub, err := f.api.Subscribe(ctx, "leaver", "proc-going", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Attach(sub); err != nil {
		t.Fatal(err)
	}
	if _, err := f.api.Decide(ctx, "proc-going", "deactivate", "retired"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(p.Attached()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("still attached to %v", p.Attached())
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.notices) != 1 || s.notices[0] != "topic proc-going was deactivated by admin: unsubscribed" {
		t.Errorf("notices %q", s.notices)
	}
}

// TestAProcessSaysWhenTheAPIStopsAnsweringAndWhenItIsBack: a process whose
// heartbeats the API does not answer says so once, and once more when the
// API answers again.
func TestAProcessSaysWhenTheAPIStopsAnsweringAndWhenItIsBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var down atomic.Bool
	target, err := url.Parse(f.api.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "maintenance", http.StatusBadGateway)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	api, err := apiclient.New(front.URL, servicetest.AdminToken)
	if err != nil {
		t.Fatal(err)
	}
	s := newSink()
	p, err := consumer.Start(context.Background(), api, f.kc, "patient", s, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	waitAlive(t, f.api, "patient", 1)

	down.Store(true)
	s.waitNotices(t, 1)
	down.Store(false)
	s.waitNotices(t, 2)
	s.mu.Lock()
	defer s.mu.Unlock()
	if want := "the server at " + front.URL + " answered 502 Bad Gateway"; !strings.Contains(s.notices[0], want) || !strings.Contains(s.notices[0], "consuming goes on") {
		t.Errorf("notice when the API stopped answering: %q, want it to say %q and what the process does", s.notices[0], want)
	}
	if want := "✓ the kds API at " + front.URL + " answers again"; s.notices[1] != want {
		t.Errorf("notice when the API answered again: %q, want %q", s.notices[1], want)
	}
	if p.Err() != nil {
		t.Errorf("the process stopped on an API that did not answer: %v", p.Err())
	}
}

// waitNotices waits until the sink holds n notices, and fails if it holds
// more: each change of the API's answer is told once.
func (s *sink) waitNotices(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * subscription.HeartbeatInterval)
	for {
		s.mu.Lock()
		got := slices.Clone(s.notices)
		s.mu.Unlock()
		switch {
		case len(got) > n:
			t.Fatalf("notices %q, want %d", got, n)
		case len(got) == n:
			return
		case time.Now().After(deadline):
			t.Fatalf("notices %q, want %d within %v", got, n, 3*subscription.HeartbeatInterval)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitAlive waits until the API lists n live processes of consumer id.
func waitAlive(t *testing.T, api *apiclient.Client, id string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := api.Consumer(context.Background(), id)
		alive := 0
		if err == nil {
			for _, in := range c.Instances {
				if in.Alive {
					alive++
				}
			}
		}
		if alive == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer %s has %d live processes, want %d (%v)", id, alive, n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

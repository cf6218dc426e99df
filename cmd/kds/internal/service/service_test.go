package service_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/embedded"
	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
	"github.com/kds-io/kds/cmd/kds/internal/service"
	"github.com/kds-io/kds/handlers"
)

const adminToken = "service-test-admin-token"

// newConfig is a service of the given roles on a fresh database and an
// embedded broker, with its API on a free port.
func newConfig(t *testing.T, roles ...string) service.Config {
	t.Helper()
	b, err := embedded.Start(embedded.Config{Addr: "127.0.0.1:0", Brokers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	secret := make([]byte, kafka.MinMessageKeyBytes)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	keys, err := kafka.ParseMessageKeys([]string{"test:" + base64.StdEncoding.EncodeToString(secret)})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := kafka.NewSigner(keys, mysql.KeyMetadata)
	if err != nil {
		t.Fatal(err)
	}
	return service.Config{
		Kafka:               kafka.Config{Brokers: b.Addrs(), ClientID: "service-test", Version: "2.8.0", DialTimeout: time.Second, RequestTimeout: 5 * time.Second},
		InternalTopics:      topic.Spec{Partitions: 2, ReplicationFactor: 1},
		MySQL:               mysqltest.NewConfig(t),
		Roles:               roles,
		HTTPAddr:            "127.0.0.1:0",
		ShutdownTimeout:     5 * time.Second,
		Outbox:              service.OutboxConfig{PollInterval: 25 * time.Millisecond, BatchSize: 100, Retention: time.Hour, PruneInterval: time.Hour, StuckAfter: time.Minute},
		TopicManager:        service.TopicManagerConfig{ReconcileInterval: time.Hour, DetachTimeout: time.Second},
		Retry:               handlers.RetryConfig{MaxRetries: 2, InitialInterval: 10 * time.Millisecond, MaxInterval: 100 * time.Millisecond, HandlerTimeout: 5 * time.Second},
		Policy:              command.Policy{DefaultPartitions: 1, DefaultReplicationFactor: 1},
		BootstrapAdminToken: adminToken,
		Signer:              signer,
	}
}

// run starts a service of cfg and runs it until the test ends, when it
// must stop without an error.
func run(t *testing.T, cfg service.Config) *service.Service {
	t.Helper()
	s, err := service.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() { done <- s.Run(ctx, func() { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("the service stopped as it started: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the service stopped with %v", err)
		}
	})
	return s
}

func client(t *testing.T, s *service.Service) *apiclient.Client {
	t.Helper()
	c, err := apiclient.New(s.APIURL(), adminToken)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAServiceCarriesATopicIntoKafka: a service with every role takes a
// request and an approval through its API and creates the topic in Kafka.
func TestAServiceCarriesATopicIntoKafka(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t, service.AllRoles...)
	api := client(t, run(t, cfg))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if r, err := api.Ready(ctx); err != nil || !r.Ready {
		t.Fatalf("/readyz: %+v, %v", r, err)
	}
	if _, err := api.RequestTopic(ctx, apiv1.TopicRequest{Name: "svc-news", Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, ctx, api, "svc-news", topic.Pending)
	if _, err := api.Decide(ctx, "svc-news", "approve", ""); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, ctx, api, "svc-news", topic.Active)
	cluster := kafka.NewCluster(cfg.Kafka)
	defer cluster.Close()
	topics, err := cluster.Topics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := topics["svc-news"]; got.Partitions != 2 {
		t.Fatalf("Kafka has svc-news as %+v, want 2 partitions", got)
	}
}

// TestRolesRunWhereTheyAreGiven: the API of a service with that role alone
// queues a request, which waits until a service with the other roles runs
// and applies it.
func TestRolesRunWhereTheyAreGiven(t *testing.T) {
	t.Parallel()
	apiOnly := newConfig(t, service.RoleAPI)
	api := client(t, run(t, apiOnly))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := api.RequestTopic(ctx, apiv1.TopicRequest{Name: "svc-later"})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := api.Command(ctx, resp.Command.ID, 300*time.Millisecond); err != nil || c.Status != command.Queued {
		t.Fatalf("with the api role alone the request is %+v, %v; want it queued", c, err)
	}

	rest := apiOnly
	rest.Roles = []string{service.RoleLifecycle, service.RoleTopicManager, service.RoleForwarder}
	if s := run(t, rest); s.APIURL() != "" {
		t.Errorf("a service without the api role listens on %s", s.APIURL())
	}
	if c, err := api.Command(ctx, resp.Command.ID, 20*time.Second); err != nil || c.Status != command.Applied {
		t.Fatalf("once the other roles run the request is %+v, %v; want it applied", c, err)
	}
}

// waitStatus waits until the API says name has status st.
func waitStatus(t *testing.T, ctx context.Context, api *apiclient.Client, name string, st topic.Status) {
	t.Helper()
	for {
		tp, err := api.Topic(ctx, name)
		var apiErr *apiclient.APIError
		switch {
		case err == nil && tp.Status == st:
			return
		case err != nil && !(errors.As(err, &apiErr) && apiErr.Status == 404):
			t.Fatalf("topic %s: %v", name, err)
		case ctx.Err() != nil:
			t.Fatalf("topic %s is %+v, want %s", name, tp, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}


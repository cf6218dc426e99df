// Package servicetest runs a kds service in a test, with every adapter
// real: an embedded Kafka-protocol broker and the test MySQL server (see
// mysqltest), for the tests of what runs beside it.
package servicetest

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

// AdminToken is the bootstrap admin token of the services Config makes.
const AdminToken = "service-test-admin-token"

// Config is a service of the given roles on a fresh database and an
// embedded broker, with its API on a free port.
func Config(t *testing.T, roles ...string) service.Config {
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
		BootstrapAdminToken: AdminToken,
		Signer:              signer,
	}
}

// Run starts a service of cfg and runs it until the test ends, when it
// must stop without an error.
func Run(t *testing.T, cfg service.Config) *service.Service {
	t.Helper()
	s, stop := Start(t, cfg)
	t.Cleanup(stop)
	return s
}

// Start starts a service of cfg and runs it until stop is called, when it
// must stop without an error.
func Start(t *testing.T, cfg service.Config) (s *service.Service, stop func()) {
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
	return s, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the service stopped with %v", err)
		}
	}
}

// Client is an admin's client of s's API.
func Client(t *testing.T, s *service.Service) *apiclient.Client {
	t.Helper()
	c, err := apiclient.New(s.APIURL(), AdminToken)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// WaitStatus waits until the API says name has status st.
func WaitStatus(t *testing.T, ctx context.Context, api *apiclient.Client, name string, st topic.Status) {
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

// ActiveTopic requests and approves a topic of one partition and waits
// until it is active.
func ActiveTopic(t *testing.T, api *apiclient.Client, name string) {
	t.Helper()
	Activate(t, api, apiv1.TopicRequest{Name: name})
}

// Activate requests and approves the topic req asks for and waits until
// it is active.
func Activate(t *testing.T, api *apiclient.Client, req apiv1.TopicRequest) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := api.RequestTopic(ctx, req); err != nil {
		t.Fatal(err)
	}
	WaitStatus(t, ctx, api, req.Name, topic.Pending)
	if _, err := api.Decide(ctx, req.Name, "approve", ""); err != nil {
		t.Fatal(err)
	}
	WaitStatus(t, ctx, api, req.Name, topic.Active)
}

// WaitCommand waits until command id exists and has status st; the topic
// manager's internal commands appear only once it has acted.
func WaitCommand(t *testing.T, ctx context.Context, api *apiclient.Client, id string, st command.Status) {
	t.Helper()
	for {
		c, err := api.Command(ctx, id, 0)
		var apiErr *apiclient.APIError
		switch {
		case err == nil && c.Status == st:
			return
		case err == nil && c.Status.IsSettled():
			t.Fatalf("command %s is %s (%s), want %s", id, c.Status, c.Error, st)
		case err != nil && !(errors.As(err, &apiErr) && apiErr.Status == 404):
			t.Fatalf("command %s: %v", id, err)
		case ctx.Err() != nil:
			t.Fatalf("command %s did not become %s", id, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

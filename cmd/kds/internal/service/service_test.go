package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
	"github.com/kds-io/kds/cmd/kds/internal/service"
	"github.com/kds-io/kds/cmd/kds/internal/service/servicetest"
)

// TestAServiceCarriesATopicIntoKafka: a service with every role takes a
// request and an approval through its API and creates the topic in Kafka.
func TestAServiceCarriesATopicIntoKafka(t *testing.T) {
	t.Parallel()
	cfg := servicetest.Config(t, service.AllRoles...)
	api := servicetest.Client(t, servicetest.Run(t, cfg))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if r, err := api.Ready(ctx); err != nil || !r.Ready {
		t.Fatalf("/readyz: %+v, %v", r, err)
	}
	if _, err := api.RequestTopic(ctx, apiv1.TopicRequest{Name: "svc-news", Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	servicetest.WaitStatus(t, ctx, api, "svc-news", topic.Pending)
	if _, err := api.Decide(ctx, "svc-news", "approve", ""); err != nil {
		t.Fatal(err)
	}
	servicetest.WaitStatus(t, ctx, api, "svc-news", topic.Active)
	cluster, err := kafka.NewCluster(cfg.Kafka)
	if err != nil {
		t.Fatal(err)
	}
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
	apiOnly := servicetest.Config(t, service.RoleAPI)
	api := servicetest.Client(t, servicetest.Run(t, apiOnly))
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
	if s := servicetest.Run(t, rest); s.APIURL() != "" {
		t.Errorf("a service without the api role listens on %s", s.APIURL())
	}
	if c, err := api.Command(ctx, resp.Command.ID, 20*time.Second); err != nil || c.Status != command.Applied {
		t.Fatalf("once the other roles run the request is %+v, %v; want it applied", c, err)
	}
}

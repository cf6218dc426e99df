package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/command"
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
	servicetest.Activate(t, api, apiv1.TopicRequest{Name: "svc-news", Partitions: 2})
	if got := kafkaTopic(t, ctx, cfg, "svc-news"); got.Partitions != 2 {
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

// TestAnUpdateReachesKafka: an admin's update of an active topic grows its
// partitions and replaces its configs in Kafka, and the command that
// records the topic manager doing so says when it is done.
func TestAnUpdateReachesKafka(t *testing.T) {
	t.Parallel()
	cfg := servicetest.Config(t, service.AllRoles...)
	api := servicetest.Client(t, servicetest.Run(t, cfg))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	servicetest.Activate(t, api, apiv1.TopicRequest{Name: "svc-grown", Partitions: 2, Configs: map[string]string{"retention.ms": "60000", "segment.ms": "3600000"}})

	update, err := api.UpdateTopic(ctx, "svc-grown", apiv1.TopicUpdate{Partitions: 5, ReplicationFactor: 1,
		Configs: map[string]string{"retention.ms": "120000"}, Owner: "newsroom", Reason: "more readers"})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := api.Command(ctx, update.ID, 10*time.Second); err != nil || c.Status != command.Applied {
		t.Fatalf("the update is %+v, %v", c, err)
	}
	id, err := command.KafkaUpdateID("svc-grown", 1, update.ID)
	if err != nil {
		t.Fatal(err)
	}
	servicetest.WaitCommand(t, ctx, api, id, command.Applied)
	got := kafkaTopic(t, ctx, cfg, "svc-grown")
	if _, stale := got.Configs["segment.ms"]; got.Partitions != 5 || got.Configs["retention.ms"] != "120000" || stale {
		t.Fatalf("Kafka has svc-grown as %+v", got)
	}
	shown, err := api.Topic(ctx, "svc-grown")
	if err != nil || shown.Partitions != 5 || shown.Owner != "newsroom" {
		t.Fatalf("the API shows %+v, %v", shown, err)
	}
}

// kafkaTopic is what Kafka says of name.
func kafkaTopic(t *testing.T, ctx context.Context, cfg service.Config, name string) command.KafkaTopic {
	t.Helper()
	cluster, err := kafka.NewCluster(cfg.Kafka)
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	topics, err := cluster.Topics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return topics[name]
}

package service_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kds-io/kds/adapters/embedded"
	"github.com/kds-io/kds/adapters/httpapi"
	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/access"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/topic"
	"github.com/kds-io/kds/cmd/kds/internal/service"
	"github.com/kds-io/kds/cmd/kds/internal/service/servicetest"
)

// serviceRight is one right docs/DESIGN.md names for kds's own principal.
type serviceRight struct {
	resource kmsg.ACLResourceType
	name     string
	pattern  kmsg.ACLResourcePatternType
	ops      []kmsg.ACLOperation
}

// serviceRights are exactly the rights DESIGN.md ("Kafka principals and
// ACLs") says kds's own user needs.
var serviceRights = []serviceRight{
	{kmsg.ACLResourceTypeCluster, "kafka-cluster", kmsg.ACLResourcePatternTypeLiteral,
		[]kmsg.ACLOperation{kmsg.ACLOperationDescribe, kmsg.ACLOperationAlter, kmsg.ACLOperationIdempotentWrite}},
	{kmsg.ACLResourceTypeTopic, "kds.", kmsg.ACLResourcePatternTypePrefixed,
		[]kmsg.ACLOperation{kmsg.ACLOperationCreate, kmsg.ACLOperationRead, kmsg.ACLOperationWrite, kmsg.ACLOperationDescribe, kmsg.ACLOperationDescribeConfigs}},
	{kmsg.ACLResourceTypeTopic, "*", kmsg.ACLResourcePatternTypeLiteral,
		[]kmsg.ACLOperation{kmsg.ACLOperationCreate, kmsg.ACLOperationDelete, kmsg.ACLOperationAlter, kmsg.ACLOperationAlterConfigs,
			kmsg.ACLOperationDescribe, kmsg.ACLOperationDescribeConfigs, kmsg.ACLOperationRead}},
	{kmsg.ACLResourceTypeGroup, "kds-", kmsg.ACLResourcePatternTypePrefixed, []kmsg.ACLOperation{kmsg.ACLOperationRead}},
}

// TestTheServicePrincipalNeedsNoMoreThanItsRights: kds serve, logged in as
// a user that holds only the rights DESIGN.md names (no super user), takes
// a topic through its lifecycle with kafka.manage_acls: it creates kds's
// topics, grants the owner, hands out credentials, revokes and deletes.
func TestTheServicePrincipalNeedsNoMoreThanItsRights(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b := brokerWithServiceUser(ctx, t, serviceRights...)

	cfg := servicetest.Config(t, service.AllRoles...)
	cfg.Kafka.Brokers = b.Addrs()
	cfg.Kafka.SASL = kafka.SASLConfig{Mechanism: kafka.SASLScramSHA512, Username: "kds", Password: "kds-pw"}
	cfg.API = append(cfg.API, httpapi.WithUsageInterval(100*time.Millisecond))
	cfg.Access = &access.KeeperConfig{Secret: []byte(strings.Repeat("k", 32)), Mechanism: kafka.SASLScramSHA512, ServiceUser: "kds"}
	svc := servicetest.Run(t, cfg)
	api := servicetest.Client(t, svc)

	tok, err := api.CreateToken(ctx, apiv1.TokenRequest{Name: "alice", Role: auth.Producer})
	if err != nil {
		t.Fatal(err)
	}
	alice, err := apiclient.New(svc.APIURL(), tok.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.RequestTopic(ctx, apiv1.TopicRequest{Name: "orders", Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	servicetest.WaitStatus(t, ctx, api, "orders", topic.Pending)
	if _, err := api.Decide(ctx, "orders", "approve", ""); err != nil {
		t.Fatal(err)
	}
	servicetest.WaitStatus(t, ctx, api, "orders", topic.Active)
	cr, err := alice.KafkaCredentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cr.Username != "kds-alice" {
		t.Fatalf("alice got the credentials of %s", cr.Username)
	}
	wantStatus(t, "the bootstrap admin's credentials", 409, func() error { _, err := api.KafkaCredentials(ctx); return err })
	viewerTok, err := api.CreateToken(ctx, apiv1.TokenRequest{Name: "val", Role: auth.Viewer})
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := apiclient.New(svc.APIURL(), viewerTok.Secret)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "a viewer's credentials", 403, func() error { _, err := viewer.KafkaCredentials(ctx); return err })
	if cl, err := alice.Cluster(ctx); err != nil || !cl.ManagedCredentials {
		t.Fatalf("cluster %+v, %v: want managed credentials", cl, err)
	}
	if grants, err := viewer.Access(ctx); err != nil || len(grants["orders"]) != 2 {
		t.Fatalf("who may do what with orders, as a viewer reads it: %+v, %v", grants, err)
	}
	writer := login(t, b.Addrs(), cr.Username, cr.Password)
	if err := produce(ctx, writer, "orders"); err != nil {
		t.Fatalf("the owner cannot write: %v", err)
	}
	// The usage readings (offsets, sizes, the newest message's time, a
	// subscription's group and lag) need no more rights either.
	if _, err := api.Subscribe(ctx, "reader", "orders", false); err != nil {
		t.Fatal(err)
	}
	for usage, err := api.TopicUsage(ctx, "orders"); usage.Messages == 0 || usage.Bytes <= 0 || usage.LastMessageAt.IsZero() || len(usage.Subscriptions) != 1; usage, err = api.TopicUsage(ctx, "orders") {
		if err != nil || ctx.Err() != nil {
			t.Fatalf("what orders holds, read with the service's rights: %+v, %v", usage, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := api.Decide(ctx, "orders", "deactivate", ""); err != nil {
		t.Fatal(err)
	}
	servicetest.WaitStatus(t, ctx, api, "orders", topic.Deleted)
	if err := produce(ctx, writer, "orders"); err == nil {
		t.Fatal("the owner writes to a deleted topic")
	}
	if err := api.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatalf("revoke as a principal without super user rights: %v", err)
	}
}

func login(t *testing.T, brokers []string, user, password string) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordRetries(1), kgo.SASL(scram.Auth{User: user, Pass: password}.AsSha512Mechanism()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func produce(ctx context.Context, cl *kgo.Client, topic string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("v")}).FirstErr()
}

// grantServiceRights gives User:kds rights, as an operator would.
func grantServiceRights(t *testing.T, root *kgo.Client, rights ...serviceRight) {
	t.Helper()
	req := kmsg.NewPtrCreateACLsRequest()
	for _, r := range rights {
		for _, op := range r.ops {
			c := kmsg.NewCreateACLsRequestCreation()
			c.ResourceType, c.ResourceName, c.ResourcePatternType = r.resource, r.name, r.pattern
			c.Principal, c.Host, c.Operation, c.PermissionType = "User:kds", "*", op, kmsg.ACLPermissionTypeAllow
			req.Creations = append(req.Creations, c)
		}
	}
	resp, err := req.RequestWith(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.Results {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			t.Fatalf("grant kds its rights: %v", err)
		}
	}
}

// wantStatus fails unless call answers an API error with status.
func wantStatus(t *testing.T, what string, status int, call func() error) {
	t.Helper()
	var apiErr *apiclient.APIError
	if err := call(); !errors.As(err, &apiErr) || apiErr.Status != status {
		t.Fatalf("%s: %v, want %d", what, err, status)
	}
}

// TestAServiceThatMayNotManageACLsSaysSoAtStart: with kafka.manage_acls,
// kds serve whose user may not read the cluster's ACLs refuses to start,
// naming the user and the rights it lacks, rather than failing at the
// first approval.
func TestAServiceThatMayNotManageACLsSaysSoAtStart(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Every right but those on the cluster.
	b := brokerWithServiceUser(ctx, t, serviceRights[1:]...)

	cfg := servicetest.Config(t, service.AllRoles...)
	cfg.Kafka.Brokers = b.Addrs()
	cfg.Kafka.SASL = kafka.SASLConfig{Mechanism: kafka.SASLScramSHA512, Username: "kds", Password: "kds-pw"}
	cfg.Access = &access.KeeperConfig{Secret: []byte(strings.Repeat("k", 32)), Mechanism: kafka.SASLScramSHA512, ServiceUser: "kds"}
	_, err := service.Start(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), `kds's own Kafka user "kds" cannot read the cluster's ACLs`) || !strings.Contains(err.Error(), "CLUSTER_AUTHORIZATION_FAILED") {
		t.Fatalf("start without the rights to manage ACLs: %v", err)
	}
}

// brokerWithServiceUser starts a broker that enforces ACLs, with the super
// user root and the SCRAM user kds (password kds-pw) holding rights.
func brokerWithServiceUser(ctx context.Context, t *testing.T, rights ...serviceRight) *embedded.Broker {
	t.Helper()
	b, err := embedded.Start(embedded.Config{Addr: "127.0.0.1:0", Brokers: 1, ACLs: true,
		SASL: []embedded.SASLUser{{Mechanism: kafka.SASLScramSHA512, Username: "root", Password: "root-pw"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	rootCluster, err := kafka.NewCluster(kafka.Config{Brokers: b.Addrs(), ClientID: "root", Version: "2.8.0", DialTimeout: time.Second, RequestTimeout: 5 * time.Second,
		SASL: kafka.SASLConfig{Mechanism: kafka.SASLScramSHA512, Username: "root", Password: "root-pw"}})
	if err != nil {
		t.Fatal(err)
	}
	defer rootCluster.Close()
	if err := rootCluster.SetScram(ctx, "kds", kafka.SASLScramSHA512, "kds-pw"); err != nil {
		t.Fatal(err)
	}
	grantServiceRights(t, login(t, b.Addrs(), "root", "root-pw"), rights...)
	return b
}

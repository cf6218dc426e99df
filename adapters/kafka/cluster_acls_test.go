package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kds-io/kds/adapters/embedded"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/app/access"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// startACLBroker runs an embedded broker that enforces ACLs, with kds as
// its administering user, and kds's Cluster on it.
func startACLBroker(t *testing.T) (kafka.Config, *kafka.Cluster) {
	t.Helper()
	b, err := embedded.Start(embedded.Config{Addr: "127.0.0.1:0", Brokers: 1, ACLs: true,
		SASL: []embedded.SASLUser{{Mechanism: kafka.SASLScramSHA512, Username: "kds", Password: "kds-secret"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	c := kafkatest.Config(b.Addrs()...)
	c.SASL = kafka.SASLConfig{Mechanism: kafka.SASLScramSHA512, Username: "kds", Password: "kds-secret"}
	cl, err := kafka.NewCluster(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return c, cl
}

// userClient is a plain franz-go client logged in as user.
func userClient(t *testing.T, c kafka.Config, user, password string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.Brokers...), kgo.RequestRetries(0), kgo.RecordRetries(0),
		kgo.SASL(scram.Auth{User: user, Pass: password}.AsSha512Mechanism())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func produceAs(ctx context.Context, cl *kgo.Client, topic string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("v")}).FirstErr()
}

func grant(principal string, r access.ResourceType, name string, p access.Pattern, op access.Operation) access.Grant {
	return access.Grant{Principal: principal, Resource: r, Name: name, Pattern: p, Operation: op}
}

// TestKfakeEnforcesACLs: the broker kds's ACL tests run on refuses produce,
// fetch and group commits without a grant and allows them with one, on
// connections already open, and a deleted SCRAM user can no longer log in.
func TestKfakeEnforcesACLs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, cl := startACLBroker(t)
	for _, err := range cl.CreateTopics(ctx, []command.Creation{
		{Name: topic.MustParseName("granted"), Spec: topic.Spec{Partitions: 1, ReplicationFactor: 1}},
		{Name: topic.MustParseName("other"), Spec: topic.Spec{Partitions: 1, ReplicationFactor: 1}},
	}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.SetScram(ctx, "kds-alice", kafka.SASLScramSHA512, "alice-pw"); err != nil {
		t.Fatal(err)
	}
	users, err := cl.ScramUsers(ctx)
	if err != nil || !slices.Contains(users, "kds-alice") {
		t.Fatalf("SCRAM users %v, %v", users, err)
	}
	alice := userClient(t, c, "kds-alice", "alice-pw")
	if err := produceAs(ctx, alice, "granted"); !errors.Is(err, kerr.TopicAuthorizationFailed) && !errors.Is(err, kerr.ClusterAuthorizationFailed) {
		t.Fatalf("produce without a grant: %v", err)
	}
	writes := []access.Grant{
		grant("User:kds-alice", access.TopicResource, "granted", access.Literal, access.Write),
		grant("User:kds-alice", access.TopicResource, "granted", access.Literal, access.Describe),
	}
	if err := cl.CreateACLs(ctx, writes); err != nil {
		t.Fatal(err)
	}
	got, _, err := cl.ACLs(ctx)
	if err != nil || len(got) != 2 {
		t.Fatalf("ACLs %v, %v", got, err)
	}
	fresh := userClient(t, c, "kds-alice", "alice-pw")
	if err := produceAs(ctx, fresh, "granted"); err != nil {
		t.Fatalf("produce with a grant: %v", err)
	}
	if err := produceAs(ctx, fresh, "other"); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("produce to a topic not granted: %v", err)
	}

	// Reading: the topic and a group under the granted prefix.
	reads := []access.Grant{
		grant("User:kds-alice", access.TopicResource, "granted", access.Literal, access.Read),
		grant("User:kds-alice", access.GroupResource, "kds-consumer.c1.granted.", access.Prefixed, access.Read),
	}
	if err := cl.CreateACLs(ctx, reads); err != nil {
		t.Fatal(err)
	}
	if n := consumeOne(t, c, "kds-consumer.c1.granted.abc", "granted"); n != nil {
		t.Fatalf("consume in a granted group: %v", n)
	}
	if err := consumeOne(t, c, "kds-consumer.c2.granted.abc", "granted"); !errors.Is(err, kerr.GroupAuthorizationFailed) {
		t.Fatalf("consume in a group not granted: %v", err)
	}

	// Revoking cuts a connection already open.
	if err := cl.DeleteACLs(ctx, writes); err != nil {
		t.Fatal(err)
	}
	if err := produceAs(ctx, fresh, "granted"); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("produce on an open connection after revocation: %v", err)
	}
	if err := cl.DeleteScram(ctx, []string{"kds-alice"}); err != nil {
		t.Fatal(err)
	}
	if users, _ := cl.ScramUsers(ctx); slices.Contains(users, "kds-alice") {
		t.Fatal("a deleted SCRAM user is still listed")
	}
	gone := userClient(t, c, "kds-alice", "alice-pw")
	if err := gone.Ping(ctx); err == nil {
		t.Fatal("a deleted SCRAM user logged in")
	}
}

// consumeOne reads one record of topic in group as kds-alice and commits
// it, returning the first error.
func consumeOne(t *testing.T, c kafka.Config, group, topic string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl := userClient(t, c, "kds-alice", "alice-pw", kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) { ferr = err })
		if ferr != nil {
			return ferr
		}
		if fs.NumRecords() > 0 {
			return cl.CommitUncommittedOffsets(ctx)
		}
	}
}

// TestKfakeAnnouncesFixedScramIterations pins a kfake misbehaviour: it
// announces 4096 iterations in its SCRAM server-first message whatever
// iterations a credential was set with, so a credential set with any other
// count never logs in (Kafka announces the credential's own).
func TestKfakeAnnouncesFixedScramIterations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := startACLBroker(t)
	admin := userClient(t, c, "kds", "kds-secret")
	for _, tc := range []struct {
		iterations int32
		logsIn     bool
	}{{4096, true}, {8192, false}} {
		user := fmt.Sprintf("u%d", tc.iterations)
		if _, err := kadm.NewClient(admin).AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: user, Mechanism: kadm.ScramSha512, Iterations: tc.iterations, Password: "pw"}}); err != nil {
			t.Fatal(err)
		}
		err := userClient(t, c, user, "pw").Ping(ctx)
		if (err == nil) != tc.logsIn {
			t.Errorf("%d iterations: log in error %v, want a login %v", tc.iterations, err, tc.logsIn)
		}
	}
}

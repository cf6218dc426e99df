package main_test

import (
	"context"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/app/access"
)

// The who-can-do-what matrix of TestKafkaACLsFollowKdsDecisions, on a
// broker that enforces ACLs (kds dev --kafka-sasl), each checked with the
// login kds hands the token, through kds send and consume, a plain
// franz-go client and kcat:
//
//	who                       write orders  read orders       write other  read other
//	alice (owner, producer)   yes           no                once named   no
//	bob (named producer)      yes, until    no                no           no
//	                          revoked
//	mallory (producer)        no            no                no           no
//	dave (named consumer)     no            yes               no           no
//	carol (consumer)          no            once subscribed,  no           no
//	                                        until unsubscribed
//	anyone, orders inactive   no            no
const aclPassword = "Dev-Acl-Pa55word"

// credentials are the Kafka credentials kds hands token.
func (d *devServer) credentials(t *testing.T, token string) access.Credentials {
	t.Helper()
	api, err := apiclient.New(d.APIURL, token)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cr, err := api.KafkaCredentials(ctx)
	if err != nil {
		t.Fatalf("Kafka credentials: %v", err)
	}
	if cr.Mechanism != "SCRAM-SHA-512" || !strings.HasPrefix(cr.Username, "kds-") {
		t.Fatalf("credentials %s as %s", cr.Mechanism, cr.Username)
	}
	return cr
}

// kafkaLogin is a plain franz-go client logged in with the Kafka
// credentials kds hands token.
func (d *devServer) kafkaLogin(t *testing.T, token string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cr := d.credentials(t, token)
	return loginAs(t, d.KafkaAddrs, cr.Username, cr.Password, opts...)
}

// kcatAs runs kcat with the Kafka credentials kds hands token; a
// producer's standard input is one line.
func (d *devServer) kcatAs(t *testing.T, kcat, token string, args ...string) (string, error) {
	t.Helper()
	return kcatLogin(t, kcat, d.KafkaAddrs, d.credentials(t, token), args...)
}

// kcatLogin runs kcat logged in as cr and returns what it printed.
func kcatLogin(t *testing.T, kcat string, brokers []string, cr access.Credentials, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, append([]string{"-b", strings.Join(brokers, ","), "-X", "security.protocol=SASL_PLAINTEXT",
		"-X", "sasl.mechanisms=" + cr.Mechanism, "-X", "sasl.username=" + cr.Username, "-X", "sasl.password=" + cr.Password, "-m", "5"}, args...)...)
	cmd.Stdin = strings.NewReader("from kcat\n")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func loginAs(t *testing.T, brokers []string, user, password string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...), kgo.RequestRetries(1), kgo.RecordRetries(1),
		kgo.MetadataMinAge(10 * time.Millisecond), kgo.SASL(scram.Auth{User: user, Pass: password}.AsSha512Mechanism())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func writeOne(cl *kgo.Client, topic string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("probe")}).FirstErr()
}

// readAs reads topic from the start in group as the token's login and
// returns how many records it read, or the first error.
func (d *devServer) readAs(t *testing.T, token, group, topic string) (int, error) {
	t.Helper()
	cl := d.kafkaLogin(t, token, kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	// A member left in the group would keep the partition from the next.
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n := 0
	for {
		fs := cl.PollFetches(ctx)
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				ferr = err
			}
		})
		if ferr != nil {
			return n, ferr
		}
		n += fs.NumRecords()
		if ctx.Err() != nil || n > 0 {
			return n, nil
		}
	}
}

func refusedACL(err error) bool {
	return errors.Is(err, kerr.TopicAuthorizationFailed) || errors.Is(err, kerr.GroupAuthorizationFailed) || errors.Is(err, kerr.ClusterAuthorizationFailed)
}

func tokenID(raw string) string { return strings.Split(raw, "_")[1] }

// TestKafkaACLsFollowKdsDecisions: with kds dev --kafka-sasl, the broker
// enforces the ACLs kds keeps, and they follow the lifecycle: the matrix
// above, each grant and revocation in the topic's history, drift repaired
// and unmanaged ACLs left alone.
func TestKafkaACLsFollowKdsDecisions(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{args: []string{"--kafka-sasl", "SCRAM-SHA-512"}, env: []string{"KDS_KAFKA_SASL_MECHANISM=SCRAM-SHA-512",
		"KDS_KAFKA_SASL_USERNAME=kds", "KDS_KAFKA_SASL_PASSWORD=" + aclPassword, "KDS_TOPIC_MANAGER_RECONCILE_INTERVAL=1s"}})
	alice := d.createToken(t, "alice", "producer")
	bob := d.createToken(t, "bob", "producer")
	mallory := d.createToken(t, "mallory", "producer")
	dave := d.createToken(t, "dave", "consumer")
	carol := d.createToken(t, "carol", "consumer")

	if r := d.kdsAs(t, alice, "topic", "request", "orders", "-p", "1", "--producer", "bob", "--consumer", "dave"); r.Code != 0 {
		t.Fatalf("request\n%s", r)
	}
	d.mustKds(t, "topic", "approve", "orders")
	d.activeTopic(t, "other", 1)

	// Writing, through kds send with the login it fetches itself.
	for _, c := range []struct {
		who, token, topic string
		ok                bool
	}{
		{"alice", alice, "orders", true}, {"bob", bob, "orders", true},
		{"mallory", mallory, "orders", false}, {"alice", alice, "other", false},
	} {
		r := d.kdsAs(t, c.token, "send", c.topic, "from "+c.who)
		if c.ok && r.Code != 0 {
			t.Errorf("%s may write %s\n%s", c.who, c.topic, r)
		}
		if !c.ok {
			wantFailure(t, r, 1, `no WRITE on topic "`+c.topic+`"`, "kds topic update "+c.topic+" --producer", "kds-"+c.who)
		}
	}

	// What the refusal says to ask for, granted: alice writes other.
	d.mustKds(t, "topic", "update", "other", "--producer", "alice", "--reason", "alice publishes here too")
	if r := d.kdsAs(t, alice, "send", "other", "from alice"); r.Code != 0 {
		t.Fatalf("alice, named a producer of other\n%s", r)
	}

	// kcat, with the login kds hands each token, sees the same rules.
	kcat := requireKcat(t)
	if out, err := d.kcatAs(t, kcat, alice, "-P", "-t", "orders"); err != nil {
		t.Errorf("kcat as alice writes orders: %v\n%s", err, out)
	}
	if out, err := d.kcatAs(t, kcat, mallory, "-P", "-t", "orders"); err == nil || !strings.Contains(out, "Topic authorization failed") {
		t.Errorf("kcat as mallory writes orders: %v\n%s", err, out)
	}
	if out, err := d.kcatAs(t, kcat, dave, "-C", "-t", "orders", "-o", "beginning", "-e", "-q"); err != nil || !strings.Contains(out, "from bob") {
		t.Errorf("kcat as dave reads orders: %v\n%s", err, out)
	}
	if out, err := d.kcatAs(t, kcat, carol, "-C", "-t", "orders", "-o", "beginning", "-e", "-q"); err == nil || !strings.Contains(out, "authorization failed") {
		t.Errorf("kcat as carol reads orders before subscribing: %v\n%s", err, out)
	}

	// Reading: the named consumer through kds consume, the others not.
	r := d.kdsAs(t, dave, "consume", "--id", "dave", "--topics", "orders", "--from-beginning", "--count", "2", "-o", "json")
	if r.Code != 0 || strings.Count(r.Stdout, `"topic":"orders"`) != 2 {
		t.Fatalf("dave reads orders\n%s", r)
	}
	if _, err := d.readAs(t, carol, "kds-consumer.carol.orders.x", "orders"); !refusedACL(err) {
		t.Fatalf("carol read orders before subscribing: %v", err)
	}
	if _, err := d.readAs(t, dave, "kds-consumer.dave.other.x", "other"); !refusedACL(err) {
		t.Fatalf("dave read other: %v", err)
	}
	if _, err := d.readAs(t, mallory, "kds-consumer.mallory.orders.x", "orders"); !refusedACL(err) {
		t.Fatalf("a producer read orders: %v", err)
	}
	carolAPI, _ := apiclient.New(d.APIURL, carol)
	ctx := context.Background()
	if _, err := carolAPI.Subscribe(ctx, "carol", "orders", true); err != nil {
		t.Fatal(err)
	}
	if n, err := d.readAs(t, carol, "kds-consumer.carol.orders.x", "orders"); err != nil || n == 0 {
		t.Fatalf("carol subscribed reads %d: %v", n, err)
	}
	if err := carolAPI.Unsubscribe(ctx, "carol", "orders"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.readAs(t, carol, "kds-consumer.carol.orders.y", "orders"); !refusedACL(err) {
		t.Fatalf("carol read orders after unsubscribing: %v", err)
	}

	// Who may write and read, as kds topic show lists it.
	show := d.mustKds(t, "topic", "show", "orders")
	wantLines(t, show, "may write (Kafka):  User:kds-alice, User:kds-bob", "may read (Kafka):   User:kds-dave")
	// And as the dashboard shows it.
	page := openDashboard(t, d, 1280, 900)
	page.signIn(d.AdminToken)
	page.selectTopic("active", "orders")
	page.waitFor("who may write and read orders", `(() => { const t = document.querySelector("#detail .facts").textContent;
		return t.includes("may write (Kafka)User:kds-alice, User:kds-bob") && t.includes("may read (Kafka)User:kds-dave") && t.includes("producersbob"); })()`)
	page.screenshot("acl-topic-detail.png")

	// Drift: an ACL kds did not decide for a principal it manages is
	// deleted; one of a principal it does not manage stays, reported.
	admin := loginAs(t, d.KafkaAddrs, "kds", aclPassword)
	handmade := kadmACL("User:kds-mallory", "orders", kmsgWrite)
	foreign := kadmACL("User:someone", "orders", kmsgRead)
	createACLs(t, admin, handmade, foreign)
	eventually(t, "the reconciliation repairs ACL drift", func() (bool, string) {
		drift := d.mustKds(t, "topic", "drift").Stdout
		return strings.Contains(drift, "acl-drift") && strings.Contains(drift, "User:kds-mallory") && strings.Contains(drift, "acl-unmanaged"), drift
	})
	have := describeACLs(t, admin)
	if slices.Contains(have, "User:kds-mallory WRITE orders") || !slices.Contains(have, "User:someone READ orders") {
		t.Fatalf("ACLs after reconciliation: %v", have)
	}
	if err := writeOne(d.kafkaLogin(t, mallory), "orders"); !refusedACL(err) {
		t.Fatalf("mallory writes orders after the repair: %v", err)
	}

	// Revoking a token cuts its open connection before the revocation
	// returns, and its login is gone.
	bobClient := d.kafkaLogin(t, bob)
	bobLogin := d.credentials(t, bob)
	if err := writeOne(bobClient, "orders"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	d.mustKds(t, "token", "revoke", tokenID(bob))
	if err := writeOne(bobClient, "orders"); !refusedACL(err) {
		t.Fatalf("bob writes after revocation: %v", err)
	}
	if out, err := kcatLogin(t, kcat, d.KafkaAddrs, bobLogin, "-L"); err == nil {
		t.Fatalf("kcat logs in as bob after revocation\n%s", out)
	}
	t.Logf("revocation → bob refused: %s", time.Since(start))

	// Deactivation takes every grant back before the topic is deleted.
	aliceClient := d.kafkaLogin(t, alice)
	if err := writeOne(aliceClient, "orders"); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	d.mustKds(t, "topic", "deactivate", "orders", "--yes")
	if err := writeOne(aliceClient, "orders"); err == nil {
		t.Fatal("alice writes to a deactivated topic")
	}
	t.Logf("deactivation → alice refused: %s", time.Since(start))

	var access []string
	for _, tr := range d.history(t, "orders") {
		if tr.Action == "access" {
			access = append(access, tr.Actor+": "+tr.Reason)
		}
	}
	joined := strings.Join(access, "\n")
	for _, want := range []string{
		"topic-manager: granted DESCRIBE on topic orders to User:kds-alice; granted WRITE on topic orders to User:kds-alice; granted DESCRIBE on topic orders to User:kds-bob",
		"topic-manager: granted DESCRIBE on topic orders to User:kds-alice; granted WRITE on topic orders to User:kds-alice; granted DESCRIBE on topic orders to User:kds-bob; granted WRITE on topic orders to User:kds-bob; granted READ on group prefixed kds-consumer.dave.orders. to User:kds-dave",
		"carol: granted READ on group prefixed kds-consumer.carol.orders. to User:kds-carol",
		"carol: revoked READ on group prefixed kds-consumer.carol.orders. to User:kds-carol",
		"admin: revoked DESCRIBE on topic orders to User:kds-bob",
		"topic-manager: revoked DESCRIBE on topic orders to User:kds-alice",
		"revoked WRITE on topic orders to User:kds-mallory",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("history of orders does not record %q:\n%s", want, joined)
		}
	}
}

const (
	kmsgRead  = kmsg.ACLOperationRead
	kmsgWrite = kmsg.ACLOperationWrite
)

// kadmACL is an ALLOW ACL on a topic from any host.
func kadmACL(principal, topic string, op kmsg.ACLOperation) kmsg.CreateACLsRequestCreation {
	c := kmsg.NewCreateACLsRequestCreation()
	c.ResourceType, c.ResourceName, c.ResourcePatternType = kmsg.ACLResourceTypeTopic, topic, kmsg.ACLResourcePatternTypeLiteral
	c.Principal, c.Host, c.Operation, c.PermissionType = principal, "*", op, kmsg.ACLPermissionTypeAllow
	return c
}

// createACLs adds ACLs by hand, as an operator would.
func createACLs(t *testing.T, admin *kgo.Client, acls ...kmsg.CreateACLsRequestCreation) {
	t.Helper()
	req := kmsg.NewPtrCreateACLsRequest()
	req.Creations = acls
	resp, err := req.RequestWith(context.Background(), admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.Results {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			t.Fatal(err)
		}
	}
}

// describeACLs lists the cluster's ACLs as "PRINCIPAL OPERATION RESOURCE".
func describeACLs(t *testing.T, admin *kgo.Client) []string {
	t.Helper()
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType, req.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
	req.Operation, req.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	resp, err := req.RequestWith(context.Background(), admin)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range resp.Resources {
		for _, a := range r.ACLs {
			out = append(out, a.Principal+" "+a.Operation.String()+" "+r.ResourceName)
		}
	}
	return out
}

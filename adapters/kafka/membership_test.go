package kafka_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
)

// TestMain lets the test binary stand in for a process that holds an
// instance id until it is killed.
func TestMain(m *testing.M) {
	if scope := os.Getenv("KDS_TEST_HOLD_INSTANCE_ID"); scope != "" {
		claim, err := kafka.ClaimInstanceID(scope)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println(claim.ID())
		select {}
	}
	os.Exit(m.Run())
}

// TestInstanceIDsAreStableAcrossRestartsAndDistinctAtOnce: processes that
// hold an instance id of one scope at the same time hold different ones;
// one started after a holder was killed gets the dead holder's id.
func TestInstanceIDsAreStableAcrossRestartsAndDistinctAtOnce(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	scope := "127.0.0.1:9092/kds-lifecycle"
	first := holdInstanceID(t, scope)
	second := holdInstanceID(t, scope)
	if first.id == second.id {
		t.Fatalf("two running processes hold instance id %s", first.id)
	}
	other, err := kafka.ClaimInstanceID("127.0.0.1:9092/kds-topic-manager")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Release()
	if other.ID() != first.id {
		t.Errorf("the first claim of another group is %s, want the first id %s", other.ID(), first.id)
	}

	first.kill(t)
	again := holdInstanceID(t, scope)
	if again.id != first.id {
		t.Errorf("after its holder was killed, a new process got %s, want the dead holder's %s", again.id, first.id)
	}
	mine, err := kafka.ClaimInstanceID(scope)
	if err != nil {
		t.Fatal(err)
	}
	if mine.ID() == first.id || mine.ID() == second.id {
		t.Errorf("claimed %s, which a running process holds", mine.ID())
	}
	id := mine.ID()
	mine.Release()
	if mine, err = kafka.ClaimInstanceID(scope); err != nil || mine.ID() != id {
		t.Errorf("claimed %v, %v after releasing it; want %s again", mine, err, id)
	}
	mine.Release()
}

// instanceHolder is a process that holds an instance id.
type instanceHolder struct {
	id  string
	cmd *exec.Cmd
}

func holdInstanceID(t *testing.T, scope string) instanceHolder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "KDS_TEST_HOLD_INSTANCE_ID="+scope)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := instanceHolder{cmd: cmd}
	t.Cleanup(func() { h.kill(t) })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.HasPrefix(line, "error:") {
		t.Fatalf("the holder said %q, %v", line, err)
	}
	h.id = strings.TrimSpace(line)
	return h
}

func (h instanceHolder) kill(t *testing.T) {
	t.Helper()
	if h.cmd.ProcessState != nil {
		return
	}
	_ = h.cmd.Process.Kill()
	_ = h.cmd.Wait()
}

// produce writes one message named prefix-P to each partition P.
func produce(t *testing.T, c kafka.Config, topicName string, partitions int, prefix string) {
	t.Helper()
	records := make([]*kgo.Record, partitions)
	for i := range records {
		records[i] = &kgo.Record{Topic: topicName, Partition: int32(i), Value: fmt.Appendf(nil, "%s-%d", prefix, i)}
	}
	kafkatest.Produce(t, c, records...)
}

// TestAStaticMemberThatClosesHandsItsPartitionsOverAtOnce: a static member
// keeps its partitions when it goes, until its session times out, unless
// it says it leaves. One that closes gracefully must say so: the other
// member then reads every partition at once, not a session timeout later.
func TestAStaticMemberThatClosesHandsItsPartitionsOverAtOnce(t *testing.T) {
	t.Parallel()
	for name, subscriber := range map[string]func(*kafka.Membership, string, kafka.Start, watermill.LoggerAdapter) (message.Subscriber, error){
		"batches": (*kafka.Membership).BatchSubscriber,
		"keyed": func(m *kafka.Membership, group string, start kafka.Start, logger watermill.LoggerAdapter) (message.Subscriber, error) {
			return m.KeyedSubscriber(group, start, kafka.DefaultInFlight, logger)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testStaticHandover(t, subscriber)
		})
	}
}

func testStaticHandover(t *testing.T, subscriber func(*kafka.Membership, string, kafka.Start, watermill.LoggerAdapter) (message.Subscriber, error)) {
	_, c := kafkatest.Start(t)
	c.Groups = kafka.GroupConfig{StaticMembership: true, SessionTimeout: 30 * time.Second, HeartbeatInterval: time.Second, RebalanceTimeout: 5 * time.Second}
	ctx := context.Background()
	const partitions = 4
	kafkatest.CreateTopics(t, c, partitions, "handover")
	member := func(instance string) (message.Subscriber, <-chan *message.Message) {
		mc := c
		mc.Groups.InstanceID = instance
		m := kafka.NewMembership(mc)
		t.Cleanup(func() { m.Close() })
		sub, err := subscriber(m, "handover-group", kafka.FromOldest, watermill.NopLogger{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sub.Close() })
		msgs, err := sub.Subscribe(ctx, "handover")
		if err != nil {
			t.Fatal(err)
		}
		return sub, msgs
	}
	leaving, leavingMsgs := member("leaving")
	_, stayingMsgs := member("staying")
	left, stayed := collect(leavingMsgs), collect(stayingMsgs)
	// The group may first give every partition to whichever member joined
	// first: send a message to each partition until both members read one.
	deadline := time.Now().Add(20 * time.Second)
	for round := 0; ; round++ {
		prefix := fmt.Sprintf("before%d", round)
		produce(t, c, "handover", partitions, prefix)
		stayed.wait(t, "a message to every partition", 10*time.Second, func(got map[string]bool) bool {
			return countPrefix(got, prefix+"-") == partitions-left.count(prefix+"-")
		})
		if left.count(prefix+"-") > 0 && stayed.count(prefix+"-") > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the two members were never given a partition each")
		}
		time.Sleep(100 * time.Millisecond)
	}

	closed := time.Now()
	if err := leaving.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	produce(t, c, "handover", partitions, "after")
	// Well within the 30 s session timeout the dead member would have.
	stayed.wait(t, "every partition's next message on the staying member", 10*time.Second, func(got map[string]bool) bool { return countPrefix(got, "after") == partitions })
	t.Logf("the staying member read every partition %v after the other closed", time.Since(closed).Round(time.Millisecond))
}

// received is what a subscription delivered, acknowledged as it came.
type received struct {
	mu  sync.Mutex
	got map[string]bool
}

func collect(msgs <-chan *message.Message) *received {
	r := &received{got: map[string]bool{}}
	go func() {
		for m := range msgs {
			values := []string{string(m.Payload)}
			if b, ok := kafka.BatchOf(m); ok {
				values = values[:0]
				for _, c := range b.Content() {
					values = append(values, c.Value)
				}
			}
			r.mu.Lock()
			for _, v := range values {
				r.got[v] = true
			}
			r.mu.Unlock()
			m.Ack()
		}
	}()
	return r
}

func (r *received) wait(t *testing.T, what string, within time.Duration, done func(map[string]bool) bool) {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(10 * time.Millisecond) {
		r.mu.Lock()
		ok := done(r.got)
		r.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not arrive within %v", what, within)
		}
	}
}

func (r *received) count(prefix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return countPrefix(r.got, prefix)
}

func countPrefix(got map[string]bool, prefix string) int {
	n := 0
	for v := range got {
		if strings.HasPrefix(v, prefix) {
			n++
		}
	}
	return n
}

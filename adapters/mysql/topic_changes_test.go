package mysql_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// TestChangesMadeTogetherPublishInOrder: the events of changes made
// together reach the outbox in the order of the changes, the refusal's
// among them, also when one change fails and the others are made alone.
func TestChangesMadeTogetherPublishInOrder(t *testing.T) {
	t.Parallel()
	db, _ := mysqltest.NewDatabase(t)
	repo := mysql.NewTopicRepository(db, mysql.NewOutbox(nil))
	ctx := context.Background()
	request := func(name string) command.Change {
		return command.Change{Command: testCommand(name), Apply: func(*topic.Topic) (*topic.Topic, error) {
			return topic.New(topic.MustParseName(name), topic.Spec{Partitions: 1, ReplicationFactor: 1}, topic.Details{}, topic.Limits{}, "alice", "")
		}}
	}
	approve := func(name string) command.Change {
		return command.Change{Command: testCommand(name), Apply: func(cur *topic.Topic) (*topic.Topic, error) {
			if cur == nil {
				return nil, &topic.NotFoundError{Topic: name}
			}
			return cur, cur.Approve("root", "")
		}}
	}
	for i, errs := range [][]error{
		repo.UpdateAll(ctx, []command.Change{request("ord-a"), approve("ord-a"), approve("ord-ghost"), request("ord-b")}),
		repo.UpdateAll(ctx, []command.Change{request("ord-c"),
			{Command: testCommand("ord-broken"), Apply: func(*topic.Topic) (*topic.Topic, error) { return nil, errors.New("lost the connection") }},
			request("ord-d"), approve("ord-d")}),
	} {
		for j, err := range errs {
			if broken := i == 1 && j == 1; (err != nil) != (broken || (i == 0 && j == 2)) {
				t.Errorf("batch %d change %d: %v", i, j, err)
			}
		}
	}
	want := []string{
		"TopicRequested ord-a", "TopicApproved ord-a", "CommandRejected ord-ghost", "TopicRequested ord-b",
		"TopicRequested ord-c", "TopicRequested ord-d", "TopicApproved ord-d",
	}
	if got := outboxEvents(t, db); !slices.Equal(got, want) {
		t.Fatalf("the outbox holds\n%v\nwant\n%v", got, want)
	}
}

func testCommand(name string) command.Command {
	return command.Command{Type: "Test", ID: uuid.NewString(), Topic: name, Actor: "alice", IssuedAt: time.Now().UTC()}
}

// outboxEvents reads the events waiting in the outbox for kds.events, in
// the order the forwarder will publish them, as "type topic".
func outboxEvents(t *testing.T, db *sql.DB) []string {
	t.Helper()
	var events []string
	for _, m := range mysqltest.Outbox(t, db) {
		var ev topic.Event
		if err := json.Unmarshal(m.Payload, &ev); err != nil || m.Destination != topic.EventsTopic {
			t.Fatalf("outbox row for %s: %s (%v)", m.Destination, m.Payload, err)
		}
		events = append(events, fmt.Sprintf("%s %s", ev.Type, ev.Topic))
	}
	return events
}

// BenchmarkUpdateAll requests and then approves 8 topics, as the lifecycle
// handlers of 8 partitions would, per operation: in two transactions of
// 8 changes each together, in 16 transactions apart.
func BenchmarkUpdateAll(b *testing.B) {
	for _, together := range []bool{false, true} {
		b.Run(fmt.Sprintf("together=%v", together), func(b *testing.B) {
			ctx := context.Background()
			db, _ := mysqltest.NewDatabase(b)
			repo := mysql.NewTopicRepository(db, mysql.NewOutbox(nil))
			round := 0
			for b.Loop() {
				round++
				for _, step := range []func(string) command.Change{benchRequest, benchApprove} {
					changes := make([]command.Change, 8)
					for i := range changes {
						changes[i] = step(fmt.Sprintf("bench-%d-%d", round, i))
					}
					if together {
						for _, err := range repo.UpdateAll(ctx, changes) {
							if err != nil {
								b.Fatal(err)
							}
						}
						continue
					}
					for _, c := range changes {
						if err := repo.Update(ctx, c.Command, c.Apply); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
		})
	}
}

func benchRequest(name string) command.Change {
	return command.Change{Command: testCommand(name), Apply: func(*topic.Topic) (*topic.Topic, error) {
		return topic.New(topic.MustParseName(name), topic.Spec{Partitions: 1, ReplicationFactor: 1}, topic.Details{}, topic.Limits{}, "alice", "")
	}}
}

func benchApprove(name string) command.Change {
	return command.Change{Command: testCommand(name), Apply: func(cur *topic.Topic) (*topic.Topic, error) {
		return cur, cur.Approve("root", "")
	}}
}

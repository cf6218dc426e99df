package mysql_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
	"github.com/kds-io/kds/app/access"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/app/topic"
)

// TestAccessStateReadsWhatGrantsFollow: topics with the producers and
// consumers their request named, subscriptions, and only live tokens.
func TestAccessStateReadsWhatGrantsFollow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := mysqltest.NewDatabase(t)
	outbox := mysql.NewOutbox(nil)
	details := topic.Details{Owner: "alice", Producers: []string{"bob"}, Consumers: []string{"billing", "audit"}}
	err := mysql.NewTopicRepository(db, outbox).Update(ctx, command.Command{Type: command.RequestTopicType, ID: "c1", Topic: "orders", Actor: "alice", IssuedAt: time.Now()},
		func(*topic.Topic) (*topic.Topic, error) {
			return topic.New(topic.MustParseName("orders"), topic.Spec{Partitions: 1, ReplicationFactor: 1}, details, topic.Limits{}, "alice", "")
		})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := mysql.NewSubscriptionRepository(db, outbox).Subscribe(ctx, subscription.Subscription{ConsumerID: "billing", Topic: "orders", Generation: 1,
		Group: "kds-consumer.billing.orders.1", CreatedBy: "carol", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	tokens := auth.NewTokens(mysql.NewTokenStore(db), "")
	root := auth.Principal{Name: "root", Role: auth.Admin}
	if _, _, err := tokens.Create(ctx, root, "carol", auth.Consumer, "billing", "audit"); err != nil {
		t.Fatal(err)
	}
	_, gone, err := tokens.Create(ctx, root, "bob", auth.Producer)
	if err != nil {
		t.Fatal(err)
	}
	if err := tokens.Revoke(ctx, root, gone.ID); err != nil {
		t.Fatal(err)
	}

	s, err := mysql.NewAccessState(db).AccessState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Topics) != 1 || s.Topics[0].Name != "orders" || s.Topics[0].Status != topic.Pending || s.Topics[0].Owner != "alice" ||
		!slices.Equal(s.Topics[0].Producers, details.Producers) || !slices.Equal(s.Topics[0].Consumers, details.Consumers) {
		t.Errorf("topics %+v", s.Topics)
	}
	if want := []access.Subscription{{ConsumerID: "billing", Topic: "orders", Generation: 1}}; !slices.Equal(s.Subscriptions, want) {
		t.Errorf("subscriptions %+v", s.Subscriptions)
	}
	if len(s.Tokens) != 1 || s.Tokens[0].Name != "carol" || s.Tokens[0].Role != auth.Consumer || !slices.Equal(s.Tokens[0].Consumers, []string{"billing", "audit"}) {
		t.Errorf("live tokens %+v", s.Tokens)
	}
}

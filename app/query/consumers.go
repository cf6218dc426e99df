package query

import (
	"context"

	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/app/topic"
)

// Consumer is a consumer with its subscriptions and processes.
type Consumer struct {
	ID            subscription.ConsumerID `json:"id"`
	Subscriptions []Subscription          `json:"subscriptions"`
	Instances     []Instance              `json:"instances"`
}

// Subscription is a subscription and whether it still holds.
type Subscription struct {
	subscription.Subscription
	// Live is false once the topic has left active at that generation:
	// the subscription ended with it.
	Live        bool         `json:"live"`
	TopicStatus topic.Status `json:"topic_status"`
}

// Instance is a consumer process and whether it reported recently.
type Instance struct {
	subscription.Instance
	Alive bool `json:"alive"`
}

// Consumers lists every consumer that has subscriptions or processes.
func (q Queries) Consumers(ctx context.Context, by auth.Principal) ([]Consumer, error) {
	return readAs(by, func() ([]Consumer, error) { return q.read.Consumers(ctx) })
}

// Consumer shows one consumer; one kds knows nothing of has no
// subscriptions and no processes.
func (q Queries) Consumer(ctx context.Context, by auth.Principal, id subscription.ConsumerID) (Consumer, error) {
	return readAs(by, func() (Consumer, error) {
		all, err := q.read.Consumers(ctx, id)
		if err != nil || len(all) == 0 {
			return Consumer{ID: id, Subscriptions: []Subscription{}, Instances: []Instance{}}, err
		}
		return all[0], nil
	})
}

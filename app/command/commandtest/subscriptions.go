package commandtest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/subscription"
)

// Subscriptions is an in-memory command.SubscriptionRepository.
type Subscriptions struct {
	mu        sync.Mutex
	subs      map[subscription.ConsumerID]map[string]subscription.Subscription
	instances map[string]subscription.Instance
}

// NewSubscriptions returns an empty repository.
func NewSubscriptions() *Subscriptions {
	return &Subscriptions{subs: map[subscription.ConsumerID]map[string]subscription.Subscription{}, instances: map[string]subscription.Instance{}}
}

// Subscribe implements command.SubscriptionRepository.
func (r *Subscriptions) Subscribe(_ context.Context, sub subscription.Subscription) (subscription.Subscription, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.subs[sub.ConsumerID][sub.Topic]; ok && old.Generation == sub.Generation {
		return old, false, nil
	}
	if r.subs[sub.ConsumerID] == nil {
		r.subs[sub.ConsumerID] = map[string]subscription.Subscription{}
	}
	r.subs[sub.ConsumerID][sub.Topic] = sub
	return sub, true, nil
}

// Unsubscribe implements command.SubscriptionRepository.
func (r *Subscriptions) Unsubscribe(_ context.Context, consumer subscription.ConsumerID, topic, _ string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.subs[consumer][topic]; !ok {
		return &command.NotSubscribedError{ConsumerID: consumer, Topic: topic}
	}
	delete(r.subs[consumer], topic)
	return nil
}

// EndAll implements command.SubscriptionRepository.
func (r *Subscriptions) EndAll(_ context.Context, deleted map[string]int, _ string) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ended := 0
	for topic, generation := range deleted {
		for _, subs := range r.subs {
			if s, ok := subs[topic]; ok && s.Generation <= generation {
				delete(subs, topic)
				ended++
			}
		}
	}
	return ended, nil
}

// Report implements command.SubscriptionRepository.
func (r *Subscriptions) Report(_ context.Context, inst subscription.Instance) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.instances[inst.ID]; ok {
		inst.StartedAt = old.StartedAt
	} else {
		inst.StartedAt = inst.LastSeen
	}
	inst.Attached = slices.Clone(inst.Attached)
	r.instances[inst.ID] = inst
	return nil
}

// Leave implements command.SubscriptionRepository.
func (r *Subscriptions) Leave(_ context.Context, consumer subscription.ConsumerID, instanceID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.instances[instanceID].ConsumerID == consumer {
		delete(r.instances, instanceID)
	}
	return nil
}

// AttachedTo implements command.SubscriptionRepository.
func (r *Subscriptions) AttachedTo(_ context.Context, topics []string, aliveSince time.Time) (map[string][]subscription.Instance, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]subscription.Instance{}
	for _, topic := range topics {
		for _, in := range r.instances {
			if in.LastSeen.After(aliveSince) && slices.Contains(in.Attached, topic) {
				out[topic] = append(out[topic], in)
			}
		}
		slices.SortFunc(out[topic], func(a, b subscription.Instance) int { return strings.Compare(a.ID, b.ID) })
	}
	return out, nil
}

package kafka

import (
	"context"
	"sync"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/kds-io/kds/app/content"
)

// Tail implements content.Follower: it reads a topic from its newest
// offsets with a Subscriber that has no consumer group, so nothing is
// committed and no consumer group appears in Kafka.
type Tail struct {
	config Config
	log    watermill.LoggerAdapter
}

// NewTail follows topics of the cluster c describes.
func NewTail(c Config, log watermill.LoggerAdapter) *Tail {
	return &Tail{config: c, log: log}
}

// Follow implements content.Follower.
func (t *Tail) Follow(ctx context.Context, topicName string) (<-chan content.Message, func() error, error) {
	sub, err := NewSubscriber(t.config, FromNewest, t.log)
	if err != nil {
		return nil, nil, &UnreachableError{Where: t.config.Where(), Err: err}
	}
	readCtx, cancel := context.WithCancel(ctx)
	msgs, err := sub.Subscribe(readCtx, topicName)
	if err != nil {
		cancel()
		_ = sub.Close()
		return nil, nil, &UnreachableError{Where: t.config.Where(), Err: err}
	}
	out := make(chan content.Message)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		for {
			select {
			case <-readCtx.Done():
				return
			case m, ok := <-msgs:
				if !ok {
					return
				}
				// Nothing is committed: acknowledging only asks for the next.
				m.Ack()
				select {
				case out <- DecodeContent(topicName, m):
				case <-readCtx.Done():
					return
				}
			}
		}
	}()
	stop := sync.OnceValue(func() error {
		cancel()
		err := sub.Close()
		<-done
		return err
	})
	return out, stop, nil
}

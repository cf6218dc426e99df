package content

import "context"

// Follower reads what is written to a topic from now on, without a
// consumer group: nothing is committed and no group appears in Kafka. The
// dashboard's live view follows topics with it.
type Follower interface {
	// Follow returns once it reads topic from its newest offsets, so that
	// every message written after it returns comes on msgs, until ctx ends
	// or stop is called; msgs is closed when the read ends. stop ends the
	// read and releases its connections.
	Follow(ctx context.Context, topic string) (msgs <-chan Message, stop func() error, err error)
}

// ProducedCounter counts the messages written to topics, for the message
// rates.
type ProducedCounter interface {
	// Produced returns, for each of topics that exists, the sum of its
	// partitions' newest offsets: how many messages were ever written to
	// it, expired ones included. A topic that does not exist, or does not
	// answer in full, is left out rather than reported short.
	Produced(ctx context.Context, topics []string) (map[string]int64, error)
}

package kafka

import (
	"sync"

	"github.com/IBM/sarama"
)

// lazyClient is a Sarama client made on first use, and again after a
// failed attempt, so that a process may start before Kafka does. Its
// Sarama settings are made once.
type lazyClient struct {
	config Config
	sarama *sarama.Config

	mu     sync.Mutex
	client sarama.Client
}

func newLazyClient(c Config, sc *sarama.Config) *lazyClient {
	return &lazyClient{config: c, sarama: sc}
}

// get returns the client, connecting when there is none.
func (l *lazyClient) get() (sarama.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.client != nil {
		return l.client, nil
	}
	client, err := sarama.NewClient(l.config.Brokers, l.sarama)
	if err != nil {
		return nil, &UnreachableError{Where: l.config.Where(), Err: err}
	}
	l.client = client
	return client, nil
}

// close releases the connections; the next get connects again.
func (l *lazyClient) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.client == nil {
		return nil
	}
	err := l.client.Close()
	l.client = nil
	return err
}


package kafka

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/IBM/sarama"
)

// Offsets reads how far topics have been written: the newest offset (the
// high-water mark) of every partition, asked of the partitions' leaders in
// one ListOffsets request per broker. It connects on first use and keeps
// its connections and the partitions' leaders between calls, so a call
// costs one round trip per broker.
type Offsets struct {
	config Config
	client *lazyClient
}

// NewOffsets reads the offsets of the cluster c describes.
func NewOffsets(c Config) *Offsets {
	sc := c.sarama()
	// Metadata of the topics asked about only, not the whole cluster.
	sc.Metadata.Full = false
	return &Offsets{config: c, client: newLazyClient(c, sc)}
}

// Close releases the connections.
func (o *Offsets) Close() error { return o.client.close() }

// Produced returns, for each of topics that Kafka knows, the sum of its
// partitions' high-water marks: how many messages were ever written to it,
// expired ones included. A topic Kafka does not know, or one of whose
// partitions did not answer, is left out rather than reported short; its
// metadata is refreshed for the next call.
func (o *Offsets) Produced(ctx context.Context, topics []string) (map[string]int64, error) {
	return withContext(ctx, func() (map[string]int64, error) {
		client, err := o.client.get()
		if err != nil {
			return nil, err
		}
		return o.produced(client, topics)
	})
}

func (o *Offsets) produced(client sarama.Client, topics []string) (map[string]int64, error) {
	known, err := o.knownTopics(client, topics)
	if err != nil {
		return nil, err
	}
	type ask struct {
		broker *sarama.Broker
		req    *sarama.OffsetRequest
		parts  map[string][]int32
	}
	asks := map[int32]*ask{}
	stale := map[string]bool{} // topics whose metadata must be refreshed
	for _, t := range known {
		parts, err := client.Partitions(t)
		if err != nil {
			stale[t] = true
			continue
		}
		for _, p := range parts {
			b, err := client.Leader(t, p)
			if err != nil {
				stale[t] = true
				continue
			}
			a := asks[b.ID()]
			if a == nil {
				a = &ask{broker: b, req: sarama.NewOffsetRequest(client.Config().Version), parts: map[string][]int32{}}
				asks[b.ID()] = a
			}
			a.req.AddBlock(t, p, sarama.OffsetNewest, 1)
			a.parts[t] = append(a.parts[t], p)
		}
	}

	var (
		mu   sync.Mutex
		sums = map[string]int64{}
		errs []error
		wg   sync.WaitGroup
	)
	for _, a := range asks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := a.broker.GetAvailableOffsets(a.req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				// Reconnect on the next call, as Sarama's own GetOffset does.
				_ = a.broker.Close()
				errs = append(errs, fmt.Errorf("list offsets at broker %d: %w", a.broker.ID(), err))
				for t := range a.parts {
					stale[t] = true
				}
				return
			}
			for t, parts := range a.parts {
				for _, p := range parts {
					b := resp.GetBlock(t, p)
					if b == nil || !errors.Is(b.Err, sarama.ErrNoError) || len(b.Offsets) != 1 {
						stale[t] = true
						continue
					}
					sums[t] += b.Offsets[0]
				}
			}
		}()
	}
	wg.Wait()
	if len(errs) == len(asks) && len(asks) > 0 {
		return nil, &UnreachableError{Where: o.config.Where(), Err: errors.Join(errs...)}
	}
	for t := range stale {
		delete(sums, t)
	}
	if len(stale) > 0 {
		// Leaders moved or partitions changed: learn them for next time.
		_ = client.RefreshMetadata(slices.Collect(maps.Keys(stale))...)
	}
	return sums, nil
}

// knownTopics returns those of topics that Kafka has, asking for the
// metadata of all the ones not yet known in one request.
func (o *Offsets) knownTopics(client sarama.Client, topics []string) ([]string, error) {
	cached, err := client.Topics()
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(cached))
	for _, t := range cached {
		have[t] = true
	}
	var missing []string
	for _, t := range topics {
		if !have[t] {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		// A topic Kafka does not know is not an error here: it is left out.
		if err := client.RefreshMetadata(missing...); err != nil && !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
			return nil, &UnreachableError{Where: o.config.Where(), Err: err}
		}
		if cached, err = client.Topics(); err != nil {
			return nil, err
		}
		for _, t := range cached {
			have[t] = true
		}
	}
	known := make([]string, 0, len(topics))
	for _, t := range topics {
		if have[t] {
			known = append(known, t)
		}
	}
	return known, nil
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/topic"
)

// kafkaFlags say where Kafka is for the content commands: --brokers, else
// KDS_KAFKA_BROKERS, else what the API says; TLS and SASL come from the
// KDS_KAFKA_TLS_* and KDS_KAFKA_SASL_* variables (kafka_env.go).
type kafkaFlags struct {
	brokers []string
}

func (k *kafkaFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&k.brokers, "brokers", nil, "Kafka bootstrap brokers (default $KDS_KAFKA_BROKERS, else the API's kafka_brokers); TLS and SASL from $KDS_KAFKA_TLS_* and $KDS_KAFKA_SASL_*")
}

func (k *kafkaFlags) config(ctx context.Context, client *httpapi.Client) (kafka.Config, error) {
	brokers := k.brokers
	if len(brokers) == 0 && os.Getenv("KDS_KAFKA_BROKERS") != "" {
		brokers = strings.Split(os.Getenv("KDS_KAFKA_BROKERS"), ",")
	}
	if len(brokers) == 0 {
		cl, err := client.Cluster(ctx)
		if err != nil {
			return kafka.Config{}, fmt.Errorf("ask the API where Kafka is: %w", err)
		}
		brokers = cl.KafkaBrokers
	}
	tlsConfig, sasl, err := kafkaSecurityFromEnv()
	if err != nil {
		return kafka.Config{}, err
	}
	// The consumer group settings: the defaults and KDS_* variables, read
	// as kds serve reads them.
	defaults, err := loadConfig("")
	if err != nil {
		return kafka.Config{}, err
	}
	c := kafka.Config{Brokers: trimAll(brokers), ClientID: "kds-cli", DialTimeout: 5 * time.Second, RequestTimeout: 10 * time.Second,
		TLS: tlsConfig, SASL: sasl, Groups: defaults.Kafka.ConsumerGroups.kafka()}
	return c, c.Validate()
}

// activeTopic checks with the API that a topic takes messages now.
func activeTopic(ctx context.Context, client *httpapi.Client, name string) error {
	t, err := client.Topic(ctx, name)
	var apiErr *httpapi.APIError
	if errors.As(err, &apiErr) && apiErr.Status == 404 {
		return &content.NotActiveError{Topic: name}
	}
	if err != nil {
		return err
	}
	if t.Status != topic.Active {
		return &content.NotActiveError{Topic: name, Status: t.Status}
	}
	return nil
}

// watchEvents reads lifecycle events from now on, straight from Kafka.
// Once it returns, no event is missed: start it before reading the state
// the events will update.
func watchEvents(ctx context.Context, kc kafka.Config) (<-chan topic.Event, error) {
	sub, err := kafka.NewSubscriber(kc, "", kafka.FromNewest, watermill.NopLogger{})
	if err != nil {
		return nil, err
	}
	msgs, err := sub.Subscribe(ctx, topic.EventsTopic)
	if err != nil {
		_ = sub.Close()
		return nil, fmt.Errorf("read kds.events: %w", err)
	}
	out := make(chan topic.Event, 64)
	go func() {
		defer close(out)
		defer sub.Close()
		for m := range msgs {
			var ev topic.Event
			if json.Unmarshal(m.Payload, &ev) == nil {
				select {
				case out <- ev:
				case <-ctx.Done():
				}
			}
			m.Ack()
		}
	}()
	return out, nil
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/topic"
)

// kafkaFlags say where Kafka is for the content commands: --brokers, else
// kafka.brokers when this machine's configuration gives them
// (KDS_KAFKA_BROKERS, or a file --config or KDS_CONFIG names), else what
// the API says. The TLS, SASL and consumer group settings are the
// configuration's, read as kds serve reads them (KDS_KAFKA_TLS_*,
// KDS_KAFKA_SASL_*, KDS_KAFKA_CONSUMER_GROUPS_*).
type kafkaFlags struct {
	brokers []string
}

func (k *kafkaFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&k.brokers, "brokers", nil, "Kafka bootstrap brokers (default $KDS_KAFKA_BROKERS, else the API's kafka_brokers); TLS and SASL from $KDS_KAFKA_TLS_* and $KDS_KAFKA_SASL_*")
}

func (k *kafkaFlags) config(ctx context.Context, g *globals, client *apiclient.Client) (kafka.Config, error) {
	c, _, err := k.login(ctx, g, client)
	return c, err
}

// login is config, and whether the login is the token's own, which kds
// hands out where it manages Kafka's ACLs and which may read only what kds
// granted it.
func (k *kafkaFlags) login(ctx context.Context, g *globals, client *apiclient.Client) (kafka.Config, bool, error) {
	cfg, err := g.clientConfig()
	if err != nil {
		return kafka.Config{}, false, err
	}
	c := cfg.kafka()
	c.ClientID = "kds-cli"
	brokersHere := len(k.brokers) > 0 || cfg.setHere("KDS_KAFKA_BROKERS")
	if len(k.brokers) > 0 {
		c.Brokers = trimAll(k.brokers)
	}
	if brokersHere && c.SASL.Mechanism != "" {
		return c, false, c.Validate()
	}
	cl, err := client.Cluster(ctx)
	if err != nil {
		return kafka.Config{}, false, fmt.Errorf("ask the API where Kafka is: %w", err)
	}
	if !brokersHere {
		c.Brokers = trimAll(cl.KafkaBrokers)
	}
	// Where kds manages Kafka's credentials, a client without SASL
	// settings of its own logs in as its token's Kafka user.
	own := cl.ManagedCredentials && c.SASL.Mechanism == ""
	if own {
		cr, err := client.KafkaCredentials(ctx)
		if err != nil {
			return kafka.Config{}, false, fmt.Errorf("get this token's Kafka credentials from the API: %w", err)
		}
		c.SASL = kafka.SASLConfig{Mechanism: cr.Mechanism, Username: cr.Username, Password: cr.Password}
	}
	return c, own, c.Validate()
}

// activeTopic checks with the API that a topic takes messages now.
func activeTopic(ctx context.Context, client *apiclient.Client, name string) error {
	t, err := client.Topic(ctx, name)
	var apiErr *apiclient.APIError
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
	sub, err := kafka.NewSubscriber(kc, kafka.FromNewest, watermill.NopLogger{})
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

package embedded

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// advertiseSaslHandshakeV0 makes the brokers advertise SaslHandshake from
// version 0, as Kafka does; kfake advertises it from version 1, and
// librdkafka (kcat) takes a broker without version 0 for one that has no
// SASL handshake at all, though it then sends version 1, which kfake
// serves (DESIGN.md §6). A client that sends version 0 (kafka-python) is
// still refused. The answer is kfake's own, read once, with that one range
// changed.
func advertiseSaslHandshakeV0(cluster *kfake.Cluster, tc *tls.Config) error {
	own, err := apiVersions(cluster.ListenAddrs(), tc)
	if err != nil {
		return fmt.Errorf("embedded broker: read its API versions: %w", err)
	}
	for i, k := range own.ApiKeys {
		if k.ApiKey == kmsg.SASLHandshake.Int16() {
			own.ApiKeys[i].MinVersion = 0
		}
	}
	cluster.ControlKey(kmsg.ApiVersions.Int16(), func(req kmsg.Request) (kmsg.Response, error, bool) {
		cluster.KeepControl()
		if req.GetVersion() > own.Version {
			return nil, nil, false // kfake answers a version it does not serve
		}
		resp := *own
		resp.ApiKeys = append([]kmsg.ApiVersionsResponseApiKey(nil), own.ApiKeys...)
		resp.SetVersion(req.GetVersion())
		return &resp, nil, true
	})
	return nil
}

// apiVersions asks the brokers at addrs which versions they serve, before
// any login, as every client does.
func apiVersions(addrs []string, tc *tls.Config) (*kmsg.ApiVersionsResponse, error) {
	cl, err := ownClient(addrs, tc, kgo.RequestRetries(2))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
}

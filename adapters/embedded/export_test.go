package embedded

import "github.com/twmb/franz-go/pkg/kfake"

// Cluster is the kfake cluster the broker runs, for tests that set it up
// or look into it.
func (b *Broker) Cluster() *kfake.Cluster { return b.cluster }

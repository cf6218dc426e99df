package kafka

import "github.com/rcrowley/go-metrics"

// kds reads none of the go-metrics Sarama keeps, and they are not small:
// each client holds sampled histograms per broker, and a consumer process
// holds a client per subscription. go-metrics offers only this global
// switch.
func init() { metrics.UseNilMetrics = true }

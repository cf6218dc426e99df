package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDoctorComparesInternalTopicsOnlyWithALayout: a producer's host that
// names its brokers with KDS_KAFKA_BROKERS checks that they answer and
// shows the internal topics, but compares their layout only with one it
// was given, by a configuration file or KDS_KAFKA_INTERNAL_TOPICS_*: the
// built-in defaults say nothing about a production cluster.
func TestDoctorComparesInternalTopicsOnlyWithALayout(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{env: []string{"KDS_KAFKA_INTERNAL_TOPICS_PARTITIONS=3"}})
	producer := d.createToken(t, "doctor-laptop", "producer")
	brokers := strings.Join(d.KafkaAddrs, ",")
	laptop := []string{"KDS_API_URL=" + d.APIURL, "KDS_TOKEN=" + producer, "KDS_KAFKA_BROKERS=" + brokers}

	status, detail, r := doctor(t, laptop)
	wantChecks(t, status, detail, r, map[string][]string{
		"mysql": {"skipped"},
		"kafka": {"ok", "Kafka at " + d.KafkaAddrs[0], "kds.events 3 partitions, replication factor 1"},
		"token": {"ok", "role producer"},
	})

	status, detail, r = doctor(t, append(laptop, "KDS_KAFKA_INTERNAL_TOPICS_PARTITIONS=3"))
	wantChecks(t, status, detail, r, map[string][]string{"kafka": {"ok", "kds.commands 3 partitions"}})
	status, detail, r = doctor(t, append(laptop, "KDS_KAFKA_INTERNAL_TOPICS_PARTITIONS=4"))
	wantChecks(t, status, detail, r, map[string][]string{
		"kafka": {"failed", "kds.events has 3 partitions, kafka.internal_topics.partitions says 4"},
	})

	file := filepath.Join(t.TempDir(), "kds.yaml")
	if err := os.WriteFile(file, []byte("kafka:\n  brokers: ["+brokers+"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	status, detail, r = doctor(t, laptop, "--config", file)
	wantChecks(t, status, detail, r, map[string][]string{
		"kafka": {"failed", "kds.events has 3 partitions, kafka.internal_topics.partitions says 8"},
	})
}

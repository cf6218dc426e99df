package main_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestEveryClientReadsWhatKdsSends: what `kds send` writes, by default
// and with kafka.producer.compression gzip, is read back whole by kcat and
// by Debian's python3-kafka as installed; snappy, which python3-kafka
// reads only with python3-snappy, shows why the default is none.
func TestEveryClientReadsWhatKdsSends(t *testing.T) {
	t.Parallel()
	kcat, python := requireKcat(t), requirePythonKafka(t)
	d := startDev(t, devOptions{})
	for _, tt := range []struct {
		compression string // "" for the default
		codec       uint8  // Kafka's compression attribute: 0 none, 1 gzip, 2 snappy
		python      bool   // whether python3-kafka reads it as installed
	}{
		{"", 0, true},
		{"gzip", 1, true},
		{"snappy", 2, false},
	} {
		name := "readable_" + cmp.Or(tt.compression, "default")
		t.Run(name, func(t *testing.T) {
			d.activeTopic(t, name, 2)
			lines := numbered(name+" a message long enough to be worth compressing, again and again,", 1, 200)
			r := runKds(t, d.workDir, []string{"KDS_API_URL=" + d.APIURL, "KDS_TOKEN=" + d.AdminToken,
				"KDS_KAFKA_PRODUCER_COMPRESSION=" + tt.compression}, strings.Join(lines, "\n")+"\n", "send", name)
			if r.Code != 0 {
				t.Fatalf("want exit 0\n%s", r)
			}
			if codecs := recordCodecs(t, d.KafkaAddrs, name, len(lines)); len(codecs) != 1 || codecs[0] != tt.codec {
				t.Errorf("kds send compressed with codecs %v, want only %d", codecs, tt.codec)
			}
			wantValues(t, kcatRead(t, kcat, d.KafkaAddrs, name), lines)
			values, err := pythonRead(python, d.KafkaAddrs, name, len(lines))
			switch {
			case !tt.python && err == nil:
				t.Errorf("python3-kafka read %d snappy messages; was python3-snappy installed? The test no longer shows why the default is none", len(values))
			case !tt.python && !strings.Contains(err.Error(), "snappy"):
				t.Errorf("python3-kafka failed otherwise than for want of snappy: %v", err)
			case tt.python && err != nil:
				t.Fatalf("python3-kafka: %v", err)
			case tt.python && len(values) != len(lines):
				t.Errorf("python3-kafka read %d messages, want %d", len(values), len(lines))
			}
		})
	}
}

// pythonRead reads want messages of topic from the beginning with
// python3-kafka and returns their values.
func pythonRead(python string, brokers []string, topic string, want int) ([]string, error) {
	const script = `
import json, sys
from kafka import KafkaConsumer
c = KafkaConsumer(sys.argv[2], bootstrap_servers=sys.argv[1].split(","), auto_offset_reset="earliest",
                  enable_auto_commit=False, consumer_timeout_ms=15000)
out = []
for m in c:
    out.append(m.value.decode())
    if len(out) == int(sys.argv[3]):
        break
print(json.dumps(out))
`
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "-c", script, strings.Join(brokers, ","), topic, strconv.Itoa(want)).Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil, errors.New(tail(string(exit.Stderr), 1024))
		}
		return nil, err
	}
	var values []string
	return values, json.Unmarshal(out, &values)
}

// recordCodecs reads n records of topic with franz-go and returns the
// compression codecs of their batches.
func recordCodecs(t *testing.T, brokers []string, topic string, n int) []uint8 {
	t.Helper()
	client, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	seen := map[uint8]bool{}
	for read := 0; read < n; {
		fetches := client.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %d of %d records of %s: %v", read, n, topic, err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			read++
			seen[r.Attrs.CompressionType()] = true
		})
	}
	var codecs []uint8
	for c := range seen {
		codecs = append(codecs, c)
	}
	return codecs
}

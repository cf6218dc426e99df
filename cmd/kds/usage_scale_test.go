package main_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/topic"
)

// TestScaleOfTheUsageReadings measures, rather than tests, what the usage
// readings cost with 1,000 active topics and 200 subscriptions behind by a
// few messages (docs/BENCHMARKS.md): the Kafka requests and CPU of a kds
// dev that reads every 10 s against one that reads once an hour, measured
// over the same windows; one reading's time against a plain franz-go
// client asking the same (kadm's ListEndOffsets and Lag); and the time the
// dashboard takes to open full. It asserts nothing about the numbers and
// runs only with KDS_MEASURE_SCALE=1.
func TestScaleOfTheUsageReadings(t *testing.T) {
	if os.Getenv("KDS_MEASURE_SCALE") != "1" {
		t.Skip("a measurement: run with KDS_MEASURE_SCALE=1")
	}
	const topics, subscriptions, window, rounds = 1000, 200, 30 * time.Second, 3
	reading := startDev(t, devOptions{env: []string{"KDS_SERVER_USAGE_INTERVAL=10s"}})
	idle := startDev(t, devOptions{env: []string{"KDS_SERVER_USAGE_INTERVAL=1h"}})
	for _, d := range []*devServer{reading, idle} {
		fillForScale(t, d, topics, subscriptions)
	}

	var cpuReading, cpuIdle, reqs []float64
	var perRequest map[string]float64
	for range rounds {
		r0, i0, m0 := cpuSeconds(t, reading.cmd.Process.Pid), cpuSeconds(t, idle.cmd.Process.Pid), usageRequests(t, reading)
		time.Sleep(window)
		r1, i1, m1 := cpuSeconds(t, reading.cmd.Process.Pid), cpuSeconds(t, idle.cmd.Process.Pid), usageRequests(t, reading)
		cpuReading = append(cpuReading, (r1-r0)/window.Seconds())
		cpuIdle = append(cpuIdle, (i1-i0)/window.Seconds())
		total := 0.0
		perRequest = map[string]float64{}
		for name, n := range m1 {
			perRequest[name] = (n - m0[name]) / window.Seconds()
			total += perRequest[name]
		}
		reqs = append(reqs, total)
	}
	t.Logf("CPU of kds dev reading every 10s: %s cores; reading once an hour: %s cores", medianRange(cpuReading), medianRange(cpuIdle))
	t.Logf("Kafka requests/s of the readings: %s (last window by request: %v)", medianRange(reqs), perRequest)

	// One reading, in this process, speaking Kafka 2.8 (kds's default) and
	// 3.7 (OffsetFetch of many groups at once), against kadm asking the
	// same with the newest versions.
	ctx := context.Background()
	kc := kafkatest.Config(reading.KafkaAddrs...)
	kc37 := kc
	kc37.Version = "3.7.0"
	usage, usage37 := kafka.NewUsage(kc), kafka.NewUsage(kc37)
	defer usage.Close()
	defer usage37.Close()
	admin := kafkatest.Admin(t, kc)
	names, reads := scaleNames(t, reading)
	groups := make([]string, len(reads))
	for i, r := range reads {
		groups[i] = r.Group
	}
	timed := func(read func() error) float64 {
		start := time.Now()
		if err := read(); err != nil {
			t.Fatal(err)
		}
		return time.Since(start).Seconds() * 1000
	}
	readWith := func(u *kafka.Usage) func() error {
		return func() error {
			got, err := u.TopicUsage(ctx, names)
			if err == nil {
				_, err = u.GroupProgress(ctx, reads, got)
			}
			return err
		}
	}
	var ours, ours37, plain []float64
	for range 7 {
		ours = append(ours, timed(readWith(usage)))
		ours37 = append(ours37, timed(readWith(usage37)))
		plain = append(plain, timed(func() error {
			if _, err := admin.ListEndOffsets(ctx, names...); err != nil {
				return err
			}
			_, err := admin.Lag(ctx, groups...)
			return err
		}))
	}
	t.Logf("one reading of %d topics and %d groups (7 each, interleaved): kds on 2.8 %s ms, requests %v; kds on 3.7 %s ms, requests %v; kadm ListEndOffsets + Lag %s ms",
		len(names), len(reads), medianRange(ours), usage.Requests(), medianRange(ours37), usage37.Requests(), medianRange(plain))

	// The dashboard, opened again and again with everything in it.
	p := openDashboard(t, reading, 1280, 900)
	p.signIn(reading.AdminToken)
	var listed, full []float64
	for range 5 {
		p.do("reload", chromedp.Reload())
		p.waitFor("the topics listed", `document.documentElement.dataset.loaded === "true"`)
		listed = append(listed, eval[float64](p.browser, `performance.now()`))
		p.waitFor("the page full", `document.querySelector('#feed li') !== null && document.querySelector('#subs-list .badge.lag') !== null`)
		full = append(full, eval[float64](p.browser, `performance.now()`))
	}
	t.Logf("dashboard with %d topics: topics listed after %s ms, feed and lag after %s ms", topics, medianRange(listed), medianRange(full))
	p.checkClean()
}

// fillForScale makes topics active topics of one partition, writes ten
// messages to each of the first subscriptions of them, subscribes a
// consumer to each of those, and commits five for its group.
func fillForScale(t *testing.T, d *devServer, topics, subscriptions int) {
	t.Helper()
	ctx := context.Background()
	client := apiClient(t, d.APIURL, d.AdminToken)
	for _, typ := range []string{"RequestTopic", "ApproveTopic"} {
		batch := apiv1.BatchRequest{}
		for i := range topics {
			cmd := apiv1.BatchCommand{Type: command.Type(typ), Topic: fmt.Sprintf("scale-%04d", i)}
			if typ == "RequestTopic" {
				cmd.Partitions = 1
			}
			batch.Commands = append(batch.Commands, cmd)
		}
		if _, err := client.Batch(ctx, batch); err != nil {
			t.Fatalf("%s %d topics: %v", typ, topics, err)
		}
		want := topic.Pending
		if typ == "ApproveTopic" {
			want = topic.Active
		}
		for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(time.Second) {
			ts, err := client.Topics(ctx, want)
			if err == nil && len(ts) == topics {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d topics %s: %v", len(ts), topics, want, err)
			}
		}
	}
	producer, err := kgo.NewClient(kgo.SeedBrokers(d.KafkaAddrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	var records []*kgo.Record
	for i := range subscriptions {
		for j := range 10 {
			records = append(records, &kgo.Record{Topic: fmt.Sprintf("scale-%04d", i), Value: []byte(strconv.Itoa(j))})
		}
	}
	if err := producer.ProduceSync(ctx, records...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	admin := kafkatest.Admin(t, kafkatest.Config(d.KafkaAddrs...))
	for i := range subscriptions {
		name := fmt.Sprintf("scale-%04d", i)
		sub, err := client.Subscribe(ctx, fmt.Sprintf("reader-%02d", i%20), name, false)
		if err != nil {
			t.Fatal(err)
		}
		commit := kadm.Offsets{}
		commit.Add(kadm.Offset{Topic: name, Partition: 0, At: 5, LeaderEpoch: -1})
		if _, err := admin.CommitOffsets(ctx, sub.Group, commit); err != nil {
			t.Fatal(err)
		}
	}
}

// scaleNames lists the active topics and the live subscriptions' groups.
func scaleNames(t *testing.T, d *devServer) ([]string, []content.GroupRead) {
	t.Helper()
	client := apiClient(t, d.APIURL, d.AdminToken)
	ts, err := client.Topics(context.Background(), topic.Active)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(ts))
	for i, tp := range ts {
		names[i] = tp.Name
	}
	consumers, err := client.Consumers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var reads []content.GroupRead
	for _, c := range consumers {
		for _, s := range c.Subscriptions {
			reads = append(reads, content.GroupRead{Group: s.Group, Topic: s.Topic})
		}
	}
	return names, reads
}

// usageRequests reads kds_usage_kafka_requests_total from /metrics.
func usageRequests(t *testing.T, d *devServer) map[string]float64 {
	t.Helper()
	body := metricsPage(t, d.APIURL, d.AdminToken)
	out := map[string]float64{}
	for line := range strings.SplitSeq(body, "\n") {
		name, rest, ok := strings.Cut(line, `kds_usage_kafka_requests_total{request="`)
		if !ok || name != "" {
			continue
		}
		req, value, _ := strings.Cut(rest, `"} `)
		out[req], _ = strconv.ParseFloat(value, 64)
	}
	return out
}

// cpuSeconds is the CPU time a process has used, from /proc.
func cpuSeconds(t *testing.T, pid int) float64 {
	t.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

// medianRange is the median of xs and their range.
func medianRange(xs []float64) string {
	s := slices.Sorted(slices.Values(xs))
	return fmt.Sprintf("%.3g (%.3g-%.3g)", s[len(s)/2], s[0], s[len(s)-1])
}

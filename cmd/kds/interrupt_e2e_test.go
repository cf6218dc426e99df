package main_test

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
)

// TestAdminMenuStopsOnInterrupt: Ctrl-C ends the admin menu while it waits
// for an answer, at the menu or at one of its questions, even though its
// input stays open.
func TestAdminMenuStopsOnInterrupt(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	for _, at := range []struct {
		answers  []string
		question string
	}{{nil, "Choose option: "}, {[]string{"2"}, "Enter topic names to approve: "}} {
		p := d.start(t, "admin")
		for _, a := range at.answers {
			p.writeLine(t, a)
		}
		p.waitStdout(t, at.question)
		p.interrupt(t)
		if out := p.stdout.String() + p.stderr.String(); strings.Contains(out, "context canceled") || strings.Contains(out, "No topics given") {
			t.Errorf("kds admin after Ctrl-C:\n%s", out)
		}
	}
}

// TestInterruptedSendSaysWhatWasNotSent: Ctrl-C stops kds send while it
// waits for more input, and it fails saying how many of the lines it read
// Kafka acknowledged, rather than reporting a complete load.
func TestInterruptedSendSaysWhatWasNotSent(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{})
	d.activeTopic(t, "load", 1)
	p := d.start(t, "send", "load", "--batch", "5", "--linger", "1h")
	for i := 1; i <= 12; i++ {
		p.writeLine(t, fmt.Sprintf("line-%d", i))
	}
	eventually(t, "two batches in Kafka", func() (bool, string) {
		n := len(kcatRead(t, kcat, d.KafkaAddrs, "load"))
		return n == 10, fmt.Sprintf("%d messages", n)
	})
	p.signal(t, syscall.SIGINT)
	if code := p.wait(t, stopTimeout); code != 1 {
		t.Fatalf("kds send exited %d after Ctrl-C, want 1\nstdout:\n%s\nstderr:\n%s", code, p.stdout, p.stderr)
	}
	if !strings.Contains(p.stdout.String(), "sent 10 messages") {
		t.Errorf("stdout does not count the 10 messages sent:\n%s", p.stdout)
	}
	if want := "sending stopped after 10 acknowledged messages: interrupted: 2 of the 12 lines read were not sent"; !strings.Contains(p.stderr.String(), want) {
		t.Errorf("stderr does not say %q:\n%s", want, p.stderr)
	}
}

// TestBenchLatencyStopsOnInterrupt: Ctrl-C ends kds bench latency while it
// sends, not when --duration is over.
func TestBenchLatencyStopsOnInterrupt(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	p := d.start(t, "bench", "latency", "--rate", "50", "--duration", "10m")
	eventually(t, "the benchmark's consumer process attached", func() (bool, string) {
		cs := d.consumers(t)
		for id, c := range cs {
			if in, ok := c.alive(p.pid()); ok && strings.HasPrefix(id, "bench-") && len(in.Attached) == 1 {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", cs)
	})
	p.signal(t, syscall.SIGINT)
	p.wait(t, stopTimeout)
	if strings.Contains(p.stdout.String(), "send → receive") {
		t.Errorf("an interrupted benchmark printed results:\n%s", p.stdout)
	}
}

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/kds-io/kds/app/content"
)

// printer writes received messages and notices, a batch at a time: a
// batch is on its way to the output, flushed, before Deliver returns, so
// only printed messages are committed.
type printer struct {
	notices io.Writer
	asJSON  bool

	mu      sync.Mutex
	w       *bufio.Writer
	line    []byte // a message's JSON, reused
	printed int64
	// limit, when positive, is how many messages to print: reached closes
	// once they are out, and later messages are refused, so they stay
	// uncommitted for the next run.
	limit   int64
	reached chan struct{}
	// failed closes when the output refused a write, err says why: what
	// follows could not be printed either, so the stream ends.
	failed chan struct{}
	err    error
}

func newPrinter(out, notices io.Writer, asJSON bool, limit int64) *printer {
	w := bufio.NewWriterSize(out, 64*1024)
	return &printer{notices: notices, asJSON: asJSON, w: w, limit: limit, reached: make(chan struct{}), failed: make(chan struct{})}
}

// errEnough refuses messages after --count of them were printed.
var errEnough = errors.New("printed as many messages as --count asked for")

// Deliver implements handlers.Sink.
func (p *printer) Deliver(msgs []content.Message) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	take := msgs
	if p.limit > 0 && int64(len(msgs)) > p.limit-p.printed {
		take = msgs[:p.limit-p.printed]
	}
	for i := range take {
		if p.asJSON {
			p.line = take[i].AppendJSON(p.line[:0])
			_, _ = p.w.Write(p.line)
		} else {
			writeMessage(p.w, &take[i])
		}
	}
	if err := p.w.Flush(); err != nil {
		if p.err == nil {
			p.err = fmt.Errorf("print messages: %w", err)
			close(p.failed)
		}
		return 0, p.err
	}
	if len(take) > 0 && p.limit > 0 {
		p.printed += int64(len(take))
		if p.printed == p.limit {
			close(p.reached)
		}
	}
	if len(take) < len(msgs) {
		return len(take), errEnough
	}
	return len(take), nil
}

// Err is why the output refused a write, once failed is closed.
func (p *printer) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Notify implements handlers.Sink.
func (p *printer) Notify(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	notice := fmt.Sprintf(format, args...)
	if p.asJSON {
		writeNotice(p.notices, notice)
		return
	}
	writeNotice(p.w, notice)
	_ = p.w.Flush()
}

// Say prints a line of the user's own conversation.
func (p *printer) Say(format string, args ...any) { p.Notify(format, args...) }

func writeNotice(w io.Writer, notice string) {
	fmt.Fprintln(w, visibleLines(notice))
}

func writeMessage(w io.Writer, m *content.Message) {
	from := "another Kafka client"
	if m.Producer != "" {
		from = m.Producer
	}
	when := m.Timestamp
	if !m.SentAt.IsZero() {
		when = m.SentAt
	}
	fmt.Fprintf(w, "[%s] %s\n", visible(m.Topic), visible(m.Value))
	fmt.Fprintf(w, "    from %s, sent %s (partition %d, offset %d)\n", visible(from), when.Local().Format("2006-01-02 15:04:05.000"), m.Partition, m.Offset)
}

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/kds-io/kds/app/content"
)

// printer writes received messages and notices from one goroutine, flushing
// whenever it has caught up, so a fast stream costs few writes.
type printer struct {
	out, notices io.Writer
	asJSON       bool
	lines        chan printed
	done         chan struct{}

	// limit, when positive, is how many messages to print: reached closes
	// once they are out, and later messages are refused, so they stay
	// uncommitted for the next run.
	limit   int64
	taken   atomic.Int64
	reached chan struct{}
}

type printed struct {
	msg    *content.Message
	notice string
}

func newPrinter(out, notices io.Writer, asJSON bool, limit int64) *printer {
	p := &printer{out: out, notices: notices, asJSON: asJSON, lines: make(chan printed, 4096), done: make(chan struct{}),
		limit: limit, reached: make(chan struct{})}
	go p.run()
	return p
}

// errEnough refuses messages after --count of them were printed.
var errEnough = errors.New("printed as many messages as --count asked for")

// Deliver implements handlers.Sink.
func (p *printer) Deliver(m content.Message) error {
	if p.limit > 0 && p.taken.Add(1) > p.limit {
		return errEnough
	}
	p.lines <- printed{msg: &m}
	return nil
}

// Notify implements handlers.Sink.
func (p *printer) Notify(format string, args ...any) {
	p.lines <- printed{notice: fmt.Sprintf(format, args...)}
}

// Say prints a line of the user's own conversation.
func (p *printer) Say(format string, args ...any) { p.Notify(format, args...) }

func (p *printer) run() {
	defer close(p.done)
	w := bufio.NewWriterSize(p.out, 64*1024)
	enc := json.NewEncoder(w)
	var printed int64
	for l := range p.lines {
		if l.msg != nil {
			printed++
		}
		switch {
		case l.msg == nil && p.asJSON:
			w.Flush()
			writeNotice(p.notices, l)
		case l.msg == nil:
			writeNotice(w, l)
		case p.asJSON:
			_ = enc.Encode(l.msg)
		default:
			writeMessage(w, *l.msg)
		}
		if len(p.lines) == 0 || printed == p.limit {
			w.Flush()
		}
		if printed == p.limit && l.msg != nil {
			close(p.reached)
		}
	}
	w.Flush()
}

func writeNotice(w io.Writer, l printed) {
	fmt.Fprintln(w, visibleLines(l.notice))
}

// close prints what is left.
func (p *printer) close() {
	close(p.lines)
	<-p.done
}

func writeMessage(w io.Writer, m content.Message) {
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

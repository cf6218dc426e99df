package producer

import (
	"context"
	"io"
	"time"
)

// lingeringInput reads an input for Bulk through a goroutine of its own,
// so that a read waiting for input can do two things a plain read cannot:
// end when ctx does (reading standard input blocks until a line comes or
// the input is closed, and Ctrl-C does neither), and send the batch being
// filled once it has waited its linger, so that lines that come slowly,
// as from tail -f, go out without waiting for a full batch. The goroutine
// stays blocked in the input until that returns, or the process exits.
type lingeringInput struct {
	ctx    context.Context
	chunks chan []byte
	// err is why the input ended; pump sets it before it closes chunks.
	err  error
	rest []byte
	// at is when the input at hand came.
	at time.Time

	// due is when the batch being filled must go, zero while it is
	// empty; flush sends it, and sets due back to zero.
	due   time.Time
	flush func()
	timer *time.Timer
}

func newLingeringInput(ctx context.Context, in io.Reader, flush func()) *lingeringInput {
	r := &lingeringInput{ctx: ctx, chunks: make(chan []byte), flush: flush, timer: time.NewTimer(time.Hour)}
	r.timer.Stop()
	go r.pump(in)
	return r
}

func (r *lingeringInput) pump(in io.Reader) {
	defer close(r.chunks)
	for {
		buf := make([]byte, 64*1024)
		n, err := in.Read(buf)
		if n > 0 {
			select {
			case r.chunks <- buf[:n]:
			case <-r.ctx.Done():
				return
			}
		}
		if err != nil {
			r.err = err
			return
		}
	}
}

// Read waits for input, ctx's end, which it returns as ctx's error, or the
// batch's due time, when it flushes the batch and waits on. Input at hand
// is taken before a batch is flushed.
func (r *lingeringInput) Read(p []byte) (int, error) {
	for len(r.rest) == 0 {
		select {
		case chunk, ok := <-r.chunks:
			if err := r.take(chunk, ok); err != nil {
				return 0, err
			}
			continue
		default:
		}
		var due <-chan time.Time
		if !r.due.IsZero() {
			r.timer.Reset(time.Until(r.due))
			due = r.timer.C
		}
		select {
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		case chunk, ok := <-r.chunks:
			if err := r.take(chunk, ok); err != nil {
				return 0, err
			}
		case <-due:
			r.flush()
		}
	}
	n := copy(p, r.rest)
	r.rest = r.rest[n:]
	return n, nil
}

// take makes chunk the input at hand, or says why there is no more.
func (r *lingeringInput) take(chunk []byte, ok bool) error {
	switch {
	case ok:
		r.rest, r.at = chunk, time.Now()
		return nil
	case r.err != nil:
		return r.err
	}
	return r.ctx.Err()
}

package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/cmd/kds/internal/lineedit"
	"github.com/kds-io/kds/cmd/kds/internal/producer"
)

// interruptible makes reads of in end when ctx does. Reading standard
// input blocks until a line comes or the input is closed, and Ctrl-C
// closes neither, so a goroutine of its own reads in, into buffers of its
// own, and Read waits for whichever comes first: data or ctx's end, which
// it returns as ctx's error. The goroutine stays blocked in in until the
// process exits.
func interruptible(ctx context.Context, in io.Reader) io.Reader {
	r := &interruptibleReader{ctx: ctx, chunks: make(chan []byte)}
	go r.pump(in)
	return r
}

type interruptibleReader struct {
	ctx    context.Context
	chunks chan []byte
	// err is why in ended; pump sets it before it closes chunks.
	err  error
	rest []byte
}

func (r *interruptibleReader) pump(in io.Reader) {
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

func (r *interruptibleReader) Read(p []byte) (int, error) {
	if len(r.rest) == 0 {
		select {
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		case chunk, ok := <-r.chunks:
			switch {
			case ok:
				r.rest = chunk
			case r.err != nil:
				return 0, r.err
			default:
				return 0, r.ctx.Err()
			}
		}
	}
	n := copy(p, r.rest)
	r.rest = r.rest[n:]
	return n, nil
}

// lineEditor reads the lines of an interactive command from its standard
// input. Prompts and what is typed go to standard output, or to standard
// error when only that is the terminal (kds consume -o json > file).
func lineEditor(cmd *cobra.Command) (*lineedit.Editor, error) {
	out := cmd.OutOrStdout()
	if !lineedit.IsTerminal(out) && lineedit.IsTerminal(cmd.ErrOrStderr()) {
		out = cmd.ErrOrStderr()
	}
	return lineedit.New(cmd.InOrStdin(), out, producer.MaxLine)
}

// Package lineedit reads the lines a person types at kds's interactive
// commands (kds admin, kds produce, kds consume): with a prompt, history,
// Ctrl-C that cancels the line being typed or the action running, and
// Ctrl-D that quits. On a terminal it puts the terminal in raw mode for as
// long as the command runs and edits lines itself, so a line is as long as
// the command takes (a terminal in canonical mode cuts lines at 4096
// bytes). From a pipe or a file it reads plain lines, so the commands can
// be scripted.
package lineedit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrInterrupted is what ReadLine returns when Ctrl-C cancelled the line
// being typed, and the cause of an action's context that Ctrl-C ended.
var ErrInterrupted = errors.New("interrupted")

// TooLongError is a line longer than the editor takes: it was read to its
// end and dropped.
type TooLongError struct {
	Line int // the line's number in the input, from 1
	Max  int // bytes
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("line %d is longer than %d bytes", e.Line, e.Max)
}

// Editor reads lines from a person or a script.
type Editor struct {
	maxLine int
	out     io.Writer

	// lines is the plain reader's, when the input is not a terminal.
	lines <-chan readResult

	// term is the line editing state, when the input is a terminal.
	term *terminal
}

type readResult struct {
	line string
	err  error
}

// New reads lines of at most maxLine bytes from in, and writes prompts
// and what is typed to out. When in and out are both terminals it edits
// lines itself, in raw mode until Close; otherwise it reads plain lines.
func New(in io.Reader, out io.Writer, maxLine int) (*Editor, error) {
	e := &Editor{maxLine: maxLine, out: out}
	if inFile, ok := in.(*os.File); ok && IsTerminal(in) && IsTerminal(out) {
		t, err := openTerminal(inFile, out, maxLine)
		if err != nil {
			return nil, err
		}
		e.term = t
		return e, nil
	}
	e.lines = readLines(in, maxLine)
	return e, nil
}

// Terminal reports whether lines are typed on a terminal, where prompts
// help; a script is not prompted unless the command always asks.
func (e *Editor) Terminal() bool { return e.term != nil }

// Close gives the terminal back as it was.
func (e *Editor) Close() error {
	if e.term == nil {
		return nil
	}
	return e.term.close()
}

// ReadLine shows prompt and returns the next line, without its ending. It
// returns io.EOF at the end of the input or on Ctrl-D at an empty line,
// ErrInterrupted on Ctrl-C, a *TooLongError for a line too long (the next
// call reads on), and ctx's error when ctx ends first.
func (e *Editor) ReadLine(ctx context.Context, prompt string) (string, error) {
	if e.term != nil {
		return e.term.readLine(ctx, prompt)
	}
	if prompt != "" {
		fmt.Fprint(e.out, prompt)
	}
	select {
	case <-ctx.Done():
		if prompt != "" {
			fmt.Fprintln(e.out)
		}
		return "", ctx.Err()
	case r, ok := <-e.lines:
		if !ok {
			if prompt != "" {
				fmt.Fprintln(e.out)
			}
			return "", io.EOF
		}
		return r.line, r.err
	}
}

// Action is the context for one command of the session: on a terminal,
// Ctrl-C typed while it runs ends it with ErrInterrupted as its cause, and
// the session goes on. Call done when the command is over.
func (e *Editor) Action(ctx context.Context) (actx context.Context, done func()) {
	actx, cancel := context.WithCancelCause(ctx)
	if e.term == nil {
		return actx, func() { cancel(nil) }
	}
	e.term.setInterrupt(cancel)
	return actx, func() {
		e.term.setInterrupt(nil)
		cancel(nil)
	}
}

// Output is w for text written while a line may be being typed, such as
// a notice of another goroutine: on a terminal, the line being typed is
// taken away while w is written to and shown again after.
func (e *Editor) Output(w io.Writer) io.Writer {
	if e.term == nil || !IsTerminal(w) {
		return w
	}
	return &terminalOutput{t: e.term, w: w}
}

type terminalOutput struct {
	t *terminal
	w io.Writer
}

func (o *terminalOutput) Write(p []byte) (int, error) { return o.t.writeAside(o.w, p) }

// Interrupted reports whether Ctrl-C ended the action whose context is ctx.
func Interrupted(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), ErrInterrupted)
}

package main

import (
	"context"
	"errors"

	"github.com/kds-io/kds/cmd/kds/internal/lineedit"
)

// repl reads the commands of kds produce and kds consume and runs each
// with do, until do returns false, the input ends (or Ctrl-D), or ctx
// ends. On a terminal it prompts "> "; Ctrl-C cancels the line being
// typed, or the command under way, and the session goes on.
func repl(ctx context.Context, ed *lineedit.Editor, out *printer, do func(ctx context.Context, line string) bool) error {
	prompt := ""
	if ed.Terminal() {
		prompt = "> "
	}
	for {
		line, err := ed.ReadLine(ctx, prompt)
		var long *lineedit.TooLongError
		switch {
		case errors.As(err, &long):
			out.Say("✗ %v, the largest message Kafka takes: ignored", err)
			continue
		case errors.Is(err, lineedit.ErrInterrupted):
			continue
		case err != nil:
			return nil
		}
		actx, done := ed.Action(ctx)
		more := do(actx, line)
		done()
		if lineedit.Interrupted(actx) {
			out.Say("✗ interrupted")
		}
		if !more {
			return nil
		}
	}
}

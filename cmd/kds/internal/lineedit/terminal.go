package lineedit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// terminal edits lines typed on a terminal in raw mode. One goroutine
// reads the terminal all the time (a read of it cannot be cancelled) into
// pending; readLine takes keys from pending. Ctrl-C typed while no line is
// read ends the running action instead.
type terminal struct {
	out     io.Writer
	maxLine int
	restore func() error

	ready chan struct{} // pending grew or the input ended

	mu        sync.Mutex
	pending   []byte
	readErr   error // why reading the terminal stopped, once pending is used up
	interrupt context.CancelCauseFunc
	editing   bool
	prompt    []rune
	line      []rune
	pos       int
	cursorRow int // rows the cursor is below the prompt's first row
	history   history
}

func openTerminal(in *os.File, out io.Writer, maxLine int) (*terminal, error) {
	restore, err := makeRaw(int(in.Fd()))
	if err != nil {
		return nil, fmt.Errorf("put the terminal in raw mode: %w", err)
	}
	t := &terminal{out: out, maxLine: maxLine, restore: restore, ready: make(chan struct{}, 1)}
	go t.read(in)
	return t, nil
}

func (t *terminal) close() error { return t.restore() }

// read is the goroutine that reads the terminal.
func (t *terminal) read(in io.Reader) {
	buf := make([]byte, 64*1024)
	for {
		n, err := in.Read(buf)
		chunk := buf[:n]
		t.mu.Lock()
		if i := bytes.LastIndexByte(chunk, keyCtrlC); i >= 0 && !t.editing && t.interrupt != nil {
			// Ctrl-C stops the action, and what was typed ahead of it.
			t.interrupt(ErrInterrupted)
			t.interrupt = nil
			t.pending, chunk = t.pending[:0], chunk[i+1:]
		}
		t.pending = append(t.pending, chunk...)
		if err != nil {
			t.readErr = err
		}
		t.mu.Unlock()
		select {
		case t.ready <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

func (t *terminal) setInterrupt(cancel context.CancelCauseFunc) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.interrupt = cancel
}

func (t *terminal) readLine(ctx context.Context, prompt string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.editing = true
	defer func() { t.editing = false }()
	t.prompt, t.line, t.pos, t.cursorRow = []rune(prompt), nil, 0, 0
	t.history.start()
	t.draw()
	for {
		if line, err, done := t.edit(); done {
			return line, err
		}
		if t.readErr != nil {
			t.write("\r\n")
			return "", io.EOF
		}
		t.mu.Unlock()
		select {
		case <-ctx.Done():
			t.mu.Lock()
			t.write("\r\n")
			return "", ctx.Err()
		case <-t.ready:
		}
		t.mu.Lock()
	}
}

// edit applies the keys pending; done when one of them ends the line.
func (t *terminal) edit() (line string, err error, done bool) {
	var appended []rune // typed at the end of the line: shown as they are
	redraw := false
	show := func() {
		switch {
		case redraw:
			t.draw()
		case len(appended) > 0:
			t.showAppended(appended)
		}
		appended, redraw = nil, false
	}
	defer show()
	for len(t.pending) > 0 {
		k, size := nextKey(t.pending)
		if size == 0 {
			return "", nil, false // the rest of the key is yet to come
		}
		t.pending = t.pending[size:]
		switch k.code {
		case keyEnter, keyInterrupt:
			show()
			t.moveToEnd()
			if k.code == keyInterrupt {
				t.write("^C\r\n")
				return "", ErrInterrupted, true
			}
			t.write("\r\n")
			line := string(t.line)
			if len(line) > t.maxLine {
				return "", &TooLongError{Line: t.history.typed + 1, Max: t.maxLine}, true
			}
			t.history.add(line)
			return line, nil, true
		case keyEOF:
			if len(t.line) == 0 {
				show()
				t.write("\r\n")
				return "", io.EOF, true
			}
			t.deleteAt(t.pos)
		case keyRune:
			if t.pos == len(t.line) && !redraw {
				appended = append(appended, k.r)
			} else {
				redraw = true
			}
			t.line = append(t.line[:t.pos], append([]rune{k.r}, t.line[t.pos:]...)...)
			t.pos++
			continue
		default:
			t.apply(k.code)
		}
		redraw = true
	}
	return "", nil, false
}

// apply makes an editing key's change to the line.
func (t *terminal) apply(code keyCode) {
	switch code {
	case keyBackspace:
		if t.pos > 0 {
			t.pos--
			t.deleteAt(t.pos)
		}
	case keyDelete:
		t.deleteAt(t.pos)
	case keyLeft:
		t.pos = max(t.pos-1, 0)
	case keyRight:
		t.pos = min(t.pos+1, len(t.line))
	case keyHome:
		t.pos = 0
	case keyEnd:
		t.pos = len(t.line)
	case keyKillStart:
		t.line, t.pos = t.line[t.pos:], 0
	case keyKillEnd:
		t.line = t.line[:t.pos]
	case keyKillWord:
		start := t.pos
		for start > 0 && t.line[start-1] == ' ' {
			start--
		}
		for start > 0 && t.line[start-1] != ' ' {
			start--
		}
		t.line, t.pos = append(t.line[:start], t.line[t.pos:]...), start
	case keyUp, keyDown:
		if line, ok := t.history.move(code == keyUp, string(t.line)); ok {
			t.line = []rune(line)
			t.pos = len(t.line)
		}
	case keyClear:
		t.write("\x1b[H\x1b[2J")
		t.cursorRow = 0
	}
}

func (t *terminal) deleteAt(i int) {
	if i < len(t.line) {
		t.line = append(t.line[:i], t.line[i+1:]...)
	}
}

// Drawing. The prompt and the line take rows of the terminal's width,
// one column a character; t.cursorRow is how far below the prompt's first
// row the cursor is.

// draw shows the prompt and the line anew, with the cursor at t.pos.
func (t *terminal) draw() {
	t.erase()
	t.write(string(t.prompt) + string(t.line))
	w := width(t.out)
	end := len(t.prompt) + len(t.line)
	t.cursorRow = t.wrapAt(end, w)
	if t.pos < len(t.line) {
		t.moveTo(len(t.prompt)+t.pos, w)
	}
}

// showAppended shows characters typed at the end of the line, which the
// line already holds.
func (t *terminal) showAppended(rs []rune) {
	t.write(string(rs))
	t.cursorRow = t.wrapAt(len(t.prompt)+len(t.line), width(t.out))
}

// wrapAt is the row of column end; at the right edge a terminal waits
// for the next character to wrap, so kds wraps there itself.
func (t *terminal) wrapAt(end, w int) int {
	if end > 0 && end%w == 0 {
		t.write("\r\n")
	}
	return end / w
}

// moveTo moves the cursor from the end of the line to column col of the
// prompt and line.
func (t *terminal) moveTo(col, w int) {
	row := col / w
	if up := t.cursorRow - row; up > 0 {
		t.write(fmt.Sprintf("\x1b[%dA", up))
	}
	t.write("\r")
	if c := col % w; c > 0 {
		t.write(fmt.Sprintf("\x1b[%dC", c))
	}
	t.cursorRow = row
}

// moveToEnd puts the cursor after the line, where the next output goes.
func (t *terminal) moveToEnd() {
	if t.pos != len(t.line) {
		t.pos = len(t.line)
		t.draw()
	}
}

// erase takes the prompt and the line off the screen.
func (t *terminal) erase() {
	if t.cursorRow > 0 {
		t.write(fmt.Sprintf("\x1b[%dA", t.cursorRow))
	}
	t.write("\r\x1b[J")
	t.cursorRow = 0
}

func (t *terminal) write(s string) { _, _ = io.WriteString(t.out, s) }

// writeAside writes p to w around the line being typed.
func (t *terminal) writeAside(w io.Writer, p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.editing {
		return w.Write(p)
	}
	t.erase()
	n, err := w.Write(p)
	if !bytes.HasSuffix(p, []byte("\n")) {
		t.write("\r\n")
	}
	t.draw()
	return n, err
}

// history is the lines typed, for the up and down keys.
type history struct {
	lines []string
	typed int // lines entered, for TooLongError's count
	at    int // lines back from the newest while browsing; 0 is the draft
	draft string
}

func (h *history) start() { h.at = 0 }

func (h *history) add(line string) {
	h.typed++
	if strings.TrimSpace(line) != "" && (len(h.lines) == 0 || h.lines[len(h.lines)-1] != line) {
		h.lines = append(h.lines, line)
	}
}

// move goes one line back (up) or forward, from current, and returns the
// line to show.
func (h *history) move(up bool, current string) (string, bool) {
	switch {
	case up && h.at < len(h.lines):
		if h.at == 0 {
			h.draft = current
		}
		h.at++
	case !up && h.at > 0:
		h.at--
	default:
		return "", false
	}
	if h.at == 0 {
		return h.draft, true
	}
	return h.lines[len(h.lines)-h.at], true
}

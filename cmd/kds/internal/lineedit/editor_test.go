package lineedit_test

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/kds-io/kds/cmd/kds/internal/lineedit"
)

const timeout = 5 * time.Second

// typist is an Editor on a real pseudo-terminal: the test types on its
// master side and reads what the terminal shows.
type typist struct {
	ed     *lineedit.Editor
	master *os.File
	tty    *os.File

	mu    sync.Mutex
	shown strings.Builder
}

func newTypist(t *testing.T, maxLine int) *typist {
	t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	ty := &typist{master: master, tty: tty}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			ty.mu.Lock()
			ty.shown.Write(buf[:n])
			ty.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	ty.ed, err = lineedit.New(tty, tty, maxLine)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = ty.ed.Close()
		_ = tty.Close()
		_ = master.Close()
	})
	if !ty.ed.Terminal() {
		t.Fatal("an Editor on a pseudo-terminal does not edit lines")
	}
	return ty
}

func (ty *typist) typeKeys(t *testing.T, keys string) {
	t.Helper()
	if _, err := ty.master.WriteString(keys); err != nil {
		t.Fatal(err)
	}
}

type readResult struct {
	line string
	err  error
}

// read reads one line on a goroutine of its own.
func (ty *typist) read(ctx context.Context, prompt string) <-chan readResult {
	res := make(chan readResult, 1)
	go func() {
		line, err := ty.ed.ReadLine(ctx, prompt)
		res <- readResult{line, err}
	}()
	return res
}

// readLine types keys and returns the line ReadLine read.
func (ty *typist) readLine(t *testing.T, keys string) (string, error) {
	t.Helper()
	res := ty.read(context.Background(), "> ")
	ty.typeKeys(t, keys)
	select {
	case r := <-res:
		return r.line, r.err
	case <-time.After(timeout):
		t.Fatalf("ReadLine did not return after %q", keys)
		return "", nil
	}
}

func (ty *typist) waitShown(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ty.mu.Lock()
		s := ty.shown.String()
		ty.mu.Unlock()
		if strings.Contains(s, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal does not show %q:\n%q", want, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLongLineArrivesWhole: a line longer than a terminal's canonical
// line (4096 bytes) is read whole.
func TestLongLineArrivesWhole(t *testing.T) {
	t.Parallel()
	ty := newTypist(t, 1<<20)
	long := strings.Repeat("0123456789", 500) + "é"
	line, err := ty.readLine(t, long+"\r")
	if err != nil || line != long {
		t.Fatalf("ReadLine = %d bytes, %v; want the %d bytes typed", len(line), err, len(long))
	}
}

func TestTooLongLineIsRefusedAndReadingGoesOn(t *testing.T) {
	t.Parallel()
	ty := newTypist(t, 10)
	_, err := ty.readLine(t, strings.Repeat("x", 11)+"\r")
	var long *lineedit.TooLongError
	if !errors.As(err, &long) || long.Max != 10 {
		t.Fatalf("ReadLine of 11 bytes with a maximum of 10: %v, want a TooLongError", err)
	}
	if line, err := ty.readLine(t, "fits\r"); line != "fits" || err != nil {
		t.Fatalf("ReadLine after a line too long = %q, %v", line, err)
	}
}

// TestCtrlCCancelsTheLine: Ctrl-C drops what was typed and the next line
// is read as usual.
func TestCtrlCCancelsTheLine(t *testing.T) {
	t.Parallel()
	ty := newTypist(t, 100)
	if _, err := ty.readLine(t, "half typed\x03"); !errors.Is(err, lineedit.ErrInterrupted) {
		t.Fatalf("ReadLine after Ctrl-C: %v, want ErrInterrupted", err)
	}
	ty.waitShown(t, "half typed^C")
	if line, err := ty.readLine(t, "next\r"); line != "next" || err != nil {
		t.Fatalf("ReadLine after Ctrl-C = %q, %v; want the next line", line, err)
	}
}

// TestCtrlDQuitsOnlyAnEmptyLine: Ctrl-D is the end of input at an empty
// line, and deletes the character under the cursor otherwise.
func TestCtrlDQuitsOnlyAnEmptyLine(t *testing.T) {
	t.Parallel()
	ty := newTypist(t, 100)
	if line, err := ty.readLine(t, "abc\x1b[D\x04\r"); line != "ab" || err != nil {
		t.Fatalf("ReadLine of abc, left, Ctrl-D = %q, %v; want ab", line, err)
	}
	if _, err := ty.readLine(t, "\x04"); err != io.EOF {
		t.Fatalf("ReadLine of Ctrl-D at an empty line: %v, want io.EOF", err)
	}
}

func TestEditingKeys(t *testing.T) {
	t.Parallel()
	ty := newTypist(t, 100)
	for _, c := range []struct{ keys, want string }{
		{"abd\x1b[Dc\r", "abcd"},                           // left, insert
		{"abcx\x7f\r", "abc"},                              // backspace
		{"world\x01hello \r", "hello world"},               // Ctrl-A
		{"bc\x1b[Ha\x1b[F!\r", "abc!"},                     // Home, End
		{"one two\x17three\r", "one three"},                // Ctrl-W
		{"gone\x15kept\r", "kept"},                         // Ctrl-U
		{"keptgone\x1b[D\x1b[D\x1b[D\x1b[D\x0b\r", "kept"}, // Ctrl-K
		{"ab\x1b[D\x1b[3~\r", "a"},                         // Delete
		{"ünï\x7fi\r", "üni"},                              // runes, not bytes
	} {
		if line, err := ty.readLine(t, c.keys); line != c.want || err != nil {
			t.Errorf("ReadLine of %q = %q, %v; want %q", c.keys, line, err, c.want)
		}
	}
}

// TestHistory: up and down browse the lines entered, and coming back down
// gives back what was being typed.
func TestHistory(t *testing.T) {
	t.Parallel()
	ty := newTypist(t, 100)
	for _, l := range []string{"first", "second", "second", ""} {
		if _, err := ty.readLine(t, l+"\r"); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ keys, want string }{
		{"\x1b[A\r", "second"},
		{"\x1b[A\x1b[A\r", "first"}, // the repeated line is kept once
		{"\x1b[A\x1b[A\x1b[A\x1b[A\r", "first"},
		{"draft\x1b[A\x1b[B\r", "draft"},
		{"\x10\x10\x0e\r", "draft"}, // Ctrl-P, Ctrl-N
	} {
		if line, err := ty.readLine(t, c.keys); line != c.want || err != nil {
			t.Errorf("ReadLine of %q = %q, %v; want %q", c.keys, line, err, c.want)
		}
	}
}

// TestCtrlCEndsTheAction: Ctrl-C typed while no line is read ends the
// action's context, not the session.
func TestCtrlCEndsTheAction(t *testing.T) {
	t.Parallel()
	ty := newTypist(t, 100)
	actx, done := ty.ed.Action(context.Background())
	ty.typeKeys(t, "typed ahead\x03")
	select {
	case <-actx.Done():
	case <-time.After(timeout):
		t.Fatal("Ctrl-C did not end the action")
	}
	if !lineedit.Interrupted(actx) {
		t.Errorf("the action ended with %v, want ErrInterrupted", context.Cause(actx))
	}
	done()
	if line, err := ty.readLine(t, "after\r"); line != "after" || err != nil {
		t.Fatalf("ReadLine after an interrupted action = %q, %v; want what was typed after Ctrl-C", line, err)
	}
	other, done := ty.ed.Action(context.Background())
	done()
	if lineedit.Interrupted(other) {
		t.Error("an action that ended by itself reports Ctrl-C")
	}
}

// TestOutputKeepsTheLineBeingTyped: text written while a line is typed
// comes above it, and the line stays as it was.
func TestOutputKeepsTheLineBeingTyped(t *testing.T) {
	t.Parallel()
	ty := newTypist(t, 100)
	res := ty.read(context.Background(), "> ")
	ty.typeKeys(t, "hal")
	ty.waitShown(t, "> hal")
	if _, err := io.WriteString(ty.ed.Output(ty.tty), "• notice\n"); err != nil {
		t.Fatal(err)
	}
	ty.waitShown(t, "• notice\r\n\r\x1b[J> hal")
	ty.typeKeys(t, "f\r")
	if r := <-res; r.line != "half" || r.err != nil {
		t.Fatalf("ReadLine = %q, %v; want half", r.line, r.err)
	}
}

func TestContextEndsReadLine(t *testing.T) {
	t.Parallel()
	ty := newTypist(t, 100)
	ctx, cancel := context.WithCancel(context.Background())
	res := ty.read(ctx, "> ")
	cancel()
	select {
	case r := <-res:
		if !errors.Is(r.err, context.Canceled) {
			t.Fatalf("ReadLine after its context ended: %v", r.err)
		}
	case <-time.After(timeout):
		t.Fatal("ReadLine did not return when its context ended")
	}
}

// TestCloseRestoresTheTerminal: the terminal is in raw mode while the
// editor is open and as it was after.
func TestCloseRestoresTheTerminal(t *testing.T) {
	t.Parallel()
	master, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer master.Close()
	defer tty.Close()
	termios := func() *unix.Termios {
		tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		return tio
	}
	before := termios()
	ed, err := lineedit.New(tty, tty, 10)
	if err != nil {
		t.Fatal(err)
	}
	raw := termios()
	if raw.Lflag&(unix.ICANON|unix.ECHO) != 0 || raw.Oflag&unix.OPOST == 0 {
		t.Error("the terminal is not in raw mode with output processing while the editor is open")
	}
	// Ctrl-C is a key; Ctrl-Z still suspends and Ctrl-\ still quits.
	if raw.Lflag&unix.ISIG == 0 || raw.Cc[unix.VINTR] != 0 || raw.Cc[unix.VSUSP] != before.Cc[unix.VSUSP] || raw.Cc[unix.VQUIT] != before.Cc[unix.VQUIT] {
		t.Errorf("signal keys while the editor is open: ISIG %v, VINTR %#x, VSUSP %#x, VQUIT %#x; want Ctrl-C a key and the others as before",
			raw.Lflag&unix.ISIG != 0, raw.Cc[unix.VINTR], raw.Cc[unix.VSUSP], raw.Cc[unix.VQUIT])
	}
	if err := ed.Close(); err != nil {
		t.Fatal(err)
	}
	if after := termios(); *after != *before {
		t.Errorf("terminal modes %+v after Close, want %+v as before", after, before)
	}
}

// TestPlainLines: from a pipe or file, lines are read as they are, a line
// too long is skipped with its number, and prompts are written only when
// asked for.
func TestPlainLines(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	ed, err := lineedit.New(strings.NewReader("one\r\n"+strings.Repeat("x", 11)+"\nthree"), &out, 10)
	if err != nil {
		t.Fatal(err)
	}
	if ed.Terminal() {
		t.Fatal("an Editor on a reader edits lines")
	}
	ctx := context.Background()
	if line, err := ed.ReadLine(ctx, "? "); line != "one" || err != nil {
		t.Fatalf("first line %q, %v", line, err)
	}
	var long *lineedit.TooLongError
	if _, err := ed.ReadLine(ctx, ""); !errors.As(err, &long) || long.Line != 2 {
		t.Fatalf("second line: %v, want line 2 too long", err)
	}
	if line, err := ed.ReadLine(ctx, ""); line != "three" || err != nil {
		t.Fatalf("last line without a line ending: %q, %v", line, err)
	}
	if _, err := ed.ReadLine(ctx, ""); err != io.EOF {
		t.Fatalf("after the last line: %v, want io.EOF", err)
	}
	if out.String() != "? " {
		t.Errorf("wrote %q, want only the prompt asked for", out.String())
	}
}

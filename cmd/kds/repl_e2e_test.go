package main_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"
)

// screen is what a terminal shows after out: characters written over
// what was there, with the cursor movements kds's line editor makes
// (CR, LF, ESC[nA up, ESC[nC right, ESC[J clear below, ESC[H ESC[2J clear
// all). Rows do not wrap: the tests that look at the screen type short
// lines.
func screen(out string) string {
	rows := [][]rune{nil}
	r, c := 0, 0
	for i := 0; i < len(out); {
		ch, size := utf8.DecodeRuneInString(out[i:])
		i += size
		switch ch {
		case '\r':
			c = 0
			continue
		case '\n':
			r++
			if r == len(rows) {
				rows = append(rows, nil)
			}
			continue
		case 0x1b:
			j := i + 1 // past '['
			for j < len(out) && (out[j] < 0x40 || out[j] > 0x7e) {
				j++
			}
			if i >= len(out) || out[i] != '[' || j >= len(out) {
				continue
			}
			n, err := strconv.Atoi(out[i+1 : j])
			if err != nil {
				n = 1
			}
			switch out[j] {
			case 'A':
				r = max(r-n, 0)
			case 'C':
				c += n
			case 'H':
				r, c = 0, 0
			case 'J':
				if out[i+1:j] == "2" {
					rows = [][]rune{nil}
				} else {
					rows[r] = rows[r][:min(c, len(rows[r]))]
					rows = rows[:r+1]
				}
			}
			i = j + 1
			continue
		}
		for len(rows[r]) <= c {
			rows[r] = append(rows[r], ' ')
		}
		rows[r][c] = ch
		c++
	}
	lines := make([]string, len(rows))
	for i, row := range rows {
		lines[i] = string(row)
	}
	return strings.Join(lines, "\n")
}

// waitScreen waits until what the terminal shows has every one of want.
func (p *kdsProcess) waitScreen(t *testing.T, want ...string) string {
	t.Helper()
	has := containsAll(want)
	return screen(p.waitOutput(t, "stdout", p.stdout, fmt.Sprintf("the terminal shows %q", want), func(s string) bool { return has(screen(s)) }))
}

// typeKeys types keys on the process's terminal, as they are.
func (p *kdsProcess) typeKeys(t *testing.T, keys string) {
	t.Helper()
	p.inputMu.Lock()
	defer p.inputMu.Unlock()
	if _, err := p.stdin.Write([]byte(keys)); err != nil {
		t.Fatalf("type %q on kds %s: %v", keys, p, err)
	}
}

// Keys as a terminal sends them.
const (
	keyUp    = "\x1b[A"
	keyCtrlC = "\x03"
	keyCtrlD = "\x04"
)

func TestScreen(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ out, want string }{
		{"> ab\r\x1b[J> abc", "> abc"},
		{"one\r\ntwo\x1b[1A\r\x1b[Jx", "x"},
		{"> hal\r\x1b[J• notice\r\n\r\x1b[J> hal", "• notice\n> hal"},
		{"abc\r\x1b[1Cz", "azc"},
	} {
		if got := screen(c.out); got != c.want {
			t.Errorf("screen(%q) = %q, want %q", c.out, got, c.want)
		}
	}
}

// TestAdminOnATerminal: Ctrl-C at a question of kds admin cancels it and
// comes back to the menu, the menu then works (no "context canceled"),
// up recalls the last answer, and Ctrl-D quits.
func TestAdminOnATerminal(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	d.request(t, "waiting")
	term := d.startOnTerminal(t, `exec "$KDS" admin`)
	term.waitScreen(t, "7. Exit\nChoose option: ")
	term.typeKeys(t, "2\r")
	term.waitScreen(t, "Enter topic names to approve: ")
	term.typeKeys(t, "wait"+keyCtrlC)
	term.waitScreen(t, "Enter topic names to approve: wait^C\n")
	term.typeKeys(t, "1\r")
	term.waitScreen(t, "Choose option: 1\nNAME", "waiting")
	term.typeKeys(t, keyUp+"\r")
	term.waitOutput(t, "stdout", term.stdout, "up and Enter choose option 1 again", func(s string) bool {
		return strings.Count(screen(s), "Choose option: 1\nNAME") == 2
	})
	term.typeKeys(t, "half typed"+keyCtrlC)
	term.waitScreen(t, "Choose option: half typed^C\nChoose option: ")
	term.typeKeys(t, keyCtrlD)
	if code := term.wait(t, stopTimeout); code != 0 {
		t.Fatalf("kds admin exited %d after Ctrl-D, want 0", code)
	}
	if s := screen(term.stdout.String()); strings.Contains(s, "context canceled") || strings.Contains(s, "No topics given") || strings.Contains(s, "Error") {
		t.Errorf("kds admin after Ctrl-C:\n%s", s)
	}
	if st := d.show(t, "waiting").Status; st != "pending" {
		t.Errorf("topic waiting is %s after an approval cancelled with Ctrl-C, want pending", st)
	}
}

// TestAdminCtrlCStopsTheWaitUnderWay: Ctrl-C while kds admin waits for a
// deactivation to take effect stops the wait, not the menu, and the menu's
// next request works.
func TestAdminCtrlCStopsTheWaitUnderWay(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{env: []string{"KDS_TOPIC_MANAGER_DETACH_TIMEOUT=2m"}})
	d.activeTopic(t, "held", 1)
	// A consumer that is stopped keeps the deletion waiting for it.
	c := d.consume(t, "sleeper", "held")
	c.signal(t, syscall.SIGSTOP)

	term := d.startOnTerminal(t, `exec "$KDS" admin`)
	term.waitScreen(t, "Choose option: ")
	term.typeKeys(t, "4\r")
	term.waitScreen(t, "Enter topic names to deactivate: ")
	term.typeKeys(t, "held\r")
	term.waitScreen(t, "Type yes to confirm: ")
	term.typeKeys(t, "yes\r")
	term.waitScreen(t, "Reason: ")
	term.typeKeys(t, "retired\r")
	term.waitScreen(t, "held: deactivated\n")
	term.typeKeys(t, keyCtrlC)
	term.waitScreen(t, "Interrupted: kds stopped waiting; a decision already sent goes on (kds topic show says where it is).\n")
	term.typeKeys(t, "5\r")
	term.waitOutput(t, "stdout", term.stdout, "option 5 lists held as inactive", func(s string) bool {
		return regexp.MustCompile(`(?m)^held\s+inactive\s`).MatchString(screen(s))
	})
	term.typeKeys(t, keyCtrlD)
	if code := term.wait(t, stopTimeout); code != 0 {
		t.Fatalf("kds admin exited %d after Ctrl-D, want 0", code)
	}
	if s := screen(term.stdout.String()); strings.Contains(s, "context canceled") || strings.Contains(s, "Error") {
		t.Errorf("kds admin after Ctrl-C during a request:\n%s", s)
	}
	c.signal(t, syscall.SIGCONT)
}

// TestProducerOnATerminal: kds produce prompts "> ", sends a line of 5,000
// characters whole (a terminal in canonical mode stops at 4096 bytes),
// sends nothing for a line cancelled with Ctrl-C, sends the last line
// again with up, and quits on Ctrl-D.
func TestProducerOnATerminal(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{})
	d.activeTopic(t, "long_lines", 1)
	term := d.startOnTerminal(t, `exec "$KDS" produce`)
	term.waitScreen(t, "producer ready; type help for commands\n> ")
	long := strings.Repeat("0123456789", 500)
	term.typeKeys(t, "send long_lines "+long+"\r")
	term.waitOutput(t, "stdout", term.stdout, "sent", func(s string) bool { return strings.Contains(s, "✓ sent to long_lines") })
	term.typeKeys(t, "send long_lines never"+keyCtrlC)
	term.waitScreen(t, "> send long_lines never^C\n> ")
	term.typeKeys(t, keyUp+"\r")
	eventually(t, "two messages in Kafka", func() (bool, string) {
		n := len(kcatRead(t, kcat, d.KafkaAddrs, "long_lines"))
		return n == 2, fmt.Sprintf("%d messages", n)
	})
	term.typeKeys(t, keyCtrlD)
	if code := term.wait(t, stopTimeout); code != 0 {
		t.Fatalf("kds produce exited %d after Ctrl-D, want 0", code)
	}
	for i, r := range kcatRead(t, kcat, d.KafkaAddrs, "long_lines") {
		if r.Payload == nil || *r.Payload != long {
			t.Errorf("message %d in Kafka is not the %d bytes typed: %d bytes", i, len(long), len(deref(r.Payload)))
		}
	}
}

// TestConsumeStreamStopsOnCtrlC: kds consume --topics takes no commands,
// so on a terminal Ctrl-C stops it, as it stops any program.
func TestConsumeStreamStopsOnCtrlC(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	d.activeTopic(t, "stream_stop", 1)
	term := d.startOnTerminal(t, `exec "$KDS" consume --id streamer --topics stream_stop`)
	term.waitScreen(t, "✓ subscribed to stream_stop")
	term.typeKeys(t, keyCtrlC)
	term.wait(t, stopTimeout)
}

// TestSendOnATerminalSendsEachLineAsTyped: kds send reading a terminal
// says what it waits for, sends each line at Enter rather than when a
// batch fills, and draws no progress over what is being typed.
func TestSendOnATerminalSendsEachLineAsTyped(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{})
	d.activeTopic(t, "typed", 1)
	term := d.startOnTerminal(t, `exec "$KDS" send typed`)
	term.waitScreen(t, "type the messages for typed, one a line")
	term.typeKeys(t, "first\r")
	eventually(t, "the first line in Kafka before the input ends", func() (bool, string) {
		n := len(kcatRead(t, kcat, d.KafkaAddrs, "typed"))
		return n == 1, fmt.Sprintf("%d messages", n)
	})
	term.typeKeys(t, "second\r"+keyCtrlD)
	if code := term.wait(t, stopTimeout); code != 0 {
		t.Fatalf("kds send exited %d after Ctrl-D, want 0", code)
	}
	shown := screen(term.stdout.String())
	if !strings.Contains(shown, "sent 2 messages") || strings.Contains(shown, "sent 0 messages (") {
		t.Errorf("the terminal shows\n%s\nwant the count of 2 sent, and no progress line over the typing", shown)
	}
}

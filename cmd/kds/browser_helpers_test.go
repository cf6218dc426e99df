package main_test

// Helpers for the dashboard tests: a headless Chromium driven through the
// DevTools protocol with chromedp, which records what a person would see
// go wrong (script exceptions, console errors, Content-Security-Policy
// violations, alert and confirm dialogs) so that a test can fail on them.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Time limits for the browser. As in the other end-to-end tests they are
// generous: the repository's tests share two cores.
const (
	browserStartTimeout = 60 * time.Second
	browserStepTimeout  = 30 * time.Second
)

// requireChromium returns the path of Debian's chromium, or skips the test
// when there is none, or fails it in CI (KDS_TEST_REQUIRE_MYSQL=1).
func requireChromium(t *testing.T) string {
	t.Helper()
	return requireProgram(t, "chromium", "to drive the dashboard headless", "/usr/bin/chromium", "chromium", "chromium-browser")
}

// browser is one headless Chromium with one tab, stopped when the test
// ends.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string // exceptions, console errors, CSP violations
	dialogs  []string // messages of alert, confirm and prompt dialogs
}

// startBrowser starts Chromium with a fresh profile and a window of the
// given size.
func startBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	path := requireChromium(t)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b := &browser{t: t, ctx: ctx}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})

	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start chromium: %v", err)
		}
	case <-time.After(browserStartTimeout):
		t.Fatalf("chromium did not start within %v", browserStartTimeout)
	}
	if err := chromedp.Listen(ctx, b.observe); err != nil {
		t.Fatalf("listen to chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("enable chromium's log: %v", err)
	}
	return b
}

// observe records what went wrong in the page. It runs in chromedp's
// event loop, so it only records, and answers dialogs from another
// goroutine.
func (b *browser) observe(ev any) {
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		b.record(&b.problems, "exception: "+msg)
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError {
			var args []string
			for _, a := range e.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			b.record(&b.problems, "console.error: "+strings.Join(args, " "))
		}
	case *log.EventEntryAdded:
		// Failed requests (a 401 before signing in, a refused action) are
		// the page's business; blocked scripts and the like are not.
		if e.Entry.Level == log.EntryLevelError && e.Entry.Source != log.EntrySourceNetwork {
			b.record(&b.problems, fmt.Sprintf("%s error: %s", e.Entry.Source, e.Entry.Text))
		}
	case *page.EventJavascriptDialogOpening:
		b.record(&b.dialogs, string(e.Type)+": "+e.Message)
		go func() {
			_, _ = chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}()
	}
}

func (b *browser) record(list *[]string, s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	*list = append(*list, s)
}

// checkClean fails the test if the page threw, logged an error, broke its
// Content-Security-Policy or opened a dialog.
func (b *browser) checkClean() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("the page: %s", p)
	}
	for _, d := range b.dialogs {
		b.t.Errorf("the page opened a dialog: %s", d)
	}
}

// do runs steps, failing the test with what when they do not finish in
// time.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v%s", what, err, b.pageState())
	}
}

// eval evaluates a JavaScript expression in the page. DevTools evaluation
// is not subject to the page's Content-Security-Policy.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds. (chromedp's Poll
// compiles the condition with new Function inside the page, which the
// dashboard's Content-Security-Policy rightly forbids.)
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(browserStepTimeout)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("Boolean("+cond+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: not within %v (%s; last error %v)%s", what, browserStepTimeout, cond, err, b.pageState())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pageState describes the page for a failure message.
func (b *browser) pageState() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 3000) : ""`))
	if err != nil {
		return ""
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return fmt.Sprintf("\npage problems: %q\npage text:\n%s", b.problems, text)
}

// screenshot saves the whole page as a PNG in the test's temporary
// directory, and also in KDS_TEST_SCREENSHOT_DIR when that is set, and
// logs where.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100 is PNG
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(b.t.TempDir(), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
	if dir := os.Getenv("KDS_TEST_SCREENSHOT_DIR"); dir != "" {
		kept := filepath.Join(dir, name)
		if err := os.WriteFile(kept, png, 0o644); err != nil {
			b.t.Errorf("keep the screenshot: %v", err)
		} else {
			b.t.Logf("screenshot kept: %s", kept)
		}
	}
	return path
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case r < 0x20 || r == 0x2028 || r == 0x2029 || r == '<' || r == '>':
			fmt.Fprintf(&sb, `\u%04x`, r)
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

package main_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCPUProfileIsWrittenWhenTheCommandEnds: a long-running command with
// KDS_CPU_PROFILE set writes a CPU profile there once Ctrl-C ends it, and
// a profile it cannot create stops it before it starts, with the variable
// named.
func TestCPUProfileIsWrittenWhenTheCommandEnds(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "broker.prof")
	cmd := exec.Command(kdsBinary, "broker", "--addr", "127.0.0.1:0")
	cmd.Env = cleanEnv("KDS_CPU_PROFILE=" + path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		listening <- strings.Contains(line, "embedded Kafka listening")
	}()
	select {
	case ok := <-listening:
		if !ok {
			t.Fatalf("kds broker did not start: %s", stderr.String())
		}
	case <-time.After(commandTimeout):
		t.Fatal("kds broker did not start in time")
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("kds broker after Ctrl-C: %v\n%s", err, stderr.String())
	}
	profile, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A pprof profile is gzipped protocol buffers.
	if len(profile) < 20 || profile[0] != 0x1f || profile[1] != 0x8b {
		t.Fatalf("%s holds %d bytes that are no CPU profile", path, len(profile))
	}

	r := runKds(t, t.TempDir(), []string{"KDS_CPU_PROFILE=" + filepath.Join(t.TempDir(), "missing", "cpu.prof")}, "", "broker", "--addr", "127.0.0.1:0")
	wantFailure(t, r, 1, "KDS_CPU_PROFILE: open ", "no such file or directory")
}

package main_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestDevAdminTokenStaysOutOfTheProcessList: kds dev takes its admin token
// from KDS_BOOTSTRAP_ADMIN_TOKEN or a file, where other users of the
// machine cannot see it, and warns when it is given on the command line,
// where they can (ps shows every process's arguments).
func TestDevAdminTokenStaysOutOfTheProcessList(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"", "file", "flag"} {
		t.Run("token in "+map[string]string{"": "the environment", "file": "a file", "flag": "a flag"}[how], func(t *testing.T) {
			t.Parallel()
			d := startDev(t, devOptions{token: how})
			d.mustKds(t, "topic", "list")
			cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(d.cmd.Process.Pid) + "/cmdline")
			if err != nil {
				t.Fatal(err)
			}
			visible := strings.Contains(string(cmdline), d.AdminToken)
			warned := strings.Contains(d.stderr.String(), "--admin-token is visible to every user of this machine")
			if visible != (how == "flag") || warned != (how == "flag") {
				t.Errorf("the token is in the process list: %v, kds dev warned: %v; want both only for --admin-token\n%s", visible, warned, d.stderr)
			}
		})
	}
}

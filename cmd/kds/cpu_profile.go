package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// cpuProfileEnv names the file a long-running command writes its CPU
// profile to, for `go tool pprof`; unset means no profile.
const cpuProfileEnv = "KDS_CPU_PROFILE"

// profiled makes cmd write a CPU profile of its whole run to the file
// KDS_CPU_PROFILE names, when it is set. The profile is written when the
// command ends, also when Ctrl-C or SIGTERM ends it.
func profiled(cmd *cobra.Command) *cobra.Command {
	run := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) (err error) {
		path := os.Getenv(cpuProfileEnv)
		if path == "" {
			return run(c, args)
		}
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("%s: %w", cpuProfileEnv, err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return errors.Join(fmt.Errorf("%s: %w", cpuProfileEnv, err), f.Close())
		}
		defer func() {
			pprof.StopCPUProfile()
			if cerr := f.Close(); cerr != nil {
				err = errors.Join(err, fmt.Errorf("%s: %w", cpuProfileEnv, cerr))
			}
		}()
		return run(c, args)
	}
	return cmd
}

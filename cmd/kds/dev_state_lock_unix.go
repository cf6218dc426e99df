//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDevState takes the state directory for this kds dev alone, until
// the returned file is closed or the process ends: two brokers writing
// one data directory would corrupt it.
func lockDevState(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, devStateLock), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("state directory %s is in use by another kds dev: stop that one, or give this one another --state-dir", dir)
		}
		return nil, fmt.Errorf("state directory: lock %s: %w", f.Name(), err)
	}
	return f, nil
}

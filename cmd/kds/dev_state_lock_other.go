//go:build !unix

package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockDevState opens the state directory's lock file; where there is no
// flock, nothing keeps a second kds dev out.
func lockDevState(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, devStateLock), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	return f, nil
}

//go:build unix

package main

import (
	"errors"
	"os"
	"syscall"
)

// lockAlone takes an exclusive lock on f without waiting: false when
// another process holds it.
func lockAlone(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

//go:build !linux

package lineedit

import (
	"errors"
	"io"
)

// IsTerminal is false where kds does not edit lines itself: there the
// interactive commands read plain lines.
func IsTerminal(any) bool { return false }

func makeRaw(int) (func() error, error) {
	return nil, errors.New("line editing is supported on Linux only")
}

func width(io.Writer) int { return 80 }

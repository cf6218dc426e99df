package lineedit

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
)

// readLines reads in line by line on a goroutine of its own, which stays
// blocked reading in until the process ends if nobody types: reading
// standard input cannot be cancelled. A line longer than maxLine is read to
// its end and sent as a *TooLongError rather than taken for the end of the
// input.
func readLines(in io.Reader, maxLine int) <-chan readResult {
	lines := make(chan readResult)
	go func() {
		defer close(lines)
		r := bufio.NewReaderSize(in, 64*1024)
		for n := 1; ; n++ {
			line, long, err := readLine(r, maxLine)
			if err != nil && line == "" && !long {
				return
			}
			res := readResult{line: line}
			if long {
				res = readResult{err: &TooLongError{Line: n, Max: maxLine}}
			}
			lines <- res
			if err != nil {
				return
			}
		}
	}()
	return lines
}

// readLine reads the next line, without its line ending; one longer than
// max is read to its end and reported too long instead.
func readLine(r *bufio.Reader, max int) (string, bool, error) {
	var (
		buf     []byte
		tooLong bool
	)
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			buf = append(buf, chunk...)
			if len(bytes.TrimRight(buf, "\r\n")) > max {
				tooLong, buf = true, nil
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return strings.TrimSuffix(strings.TrimSuffix(string(buf), "\n"), "\r"), tooLong, err
	}
}

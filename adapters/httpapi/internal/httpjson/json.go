// Package httpjson is how every part of kds's HTTP API reads requests and
// answers them: JSON bodies decoded strictly, JSON answers, errors mapped
// to statuses, and Server-Sent Events whose data is JSON.
package httpjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"unicode/utf8"
)

// errBodyTimeout answers a request whose body did not arrive in time.
var errBodyTimeout = errors.New("the request body did not arrive in time")

// Decode reads a JSON body strictly: unknown fields, keys given twice or
// in another case than the field's (strict.go) and trailing data are
// errors that say what was wrong.
func Decode(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errBodyTimeout
	case err != nil:
		return BadRequest("the request body was cut short: " + err.Error())
	}
	// encoding/json would turn bytes that are not UTF-8 into U+FFFD, so
	// that a reason or name would be kept as other than what was sent.
	if at := invalidUTF8(body); at >= 0 {
		return BadRequest(fmt.Sprintf("the request body is not UTF-8 (byte %#x at offset %d); JSON is UTF-8", body[at], at))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return BadRequest("the request body is empty; send a JSON object")
		}
		return BadRequest("malformed JSON body: " + err.Error())
	}
	if dec.More() {
		return BadRequest("malformed JSON body: more than one JSON value")
	}
	return strictKeys(body, reflect.TypeOf(v))
}

// invalidUTF8 is the offset of the first byte of b that is not UTF-8, or
// -1.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// Write answers code with v as JSON.
func Write(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// NonNil is s, or an empty slice for nil, so that a list is answered as
// [] rather than null.
func NonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

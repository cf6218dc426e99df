package jsonapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/kds-io/kds/app/query"
)

// consumersETag is a weak validator of a consumer listing that leaves out
// when each process last reported: that changes every heartbeat, while
// whether the process is alive, which is what a reader looks at, does not.
func consumersETag(cs []query.Consumer) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, c := range cs {
		insts := make([]query.Instance, len(c.Instances))
		for i, in := range c.Instances {
			in.LastSeen = time.Time{}
			insts[i] = in
		}
		c.Instances = insts
		_ = enc.Encode(c)
	}
	return `W/"` + hex.EncodeToString(h.Sum(nil)[:16]) + `"`
}

// etagMatches reports whether an If-None-Match header names tag, compared
// weakly as RFC 9110 asks for If-None-Match.
func etagMatches(header, tag string) bool {
	if header == "" {
		return false
	}
	want := strings.TrimPrefix(tag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

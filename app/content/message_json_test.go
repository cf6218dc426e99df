package content_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kds-io/kds/app/content"
)

// TestAppendJSONIsWhatEncodingJSONWrites: messages with every kind of
// character, and with fields empty or not, come out byte for byte as
// json.Encoder writes them.
func TestAppendJSONIsWhatEncodingJSONWrites(t *testing.T) {
	pieces := []string{"", "a", "plain text", `"`, `\`, "<", ">", "&", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f",
		"é", "日本", "😀", "\u2028", "\u2029", "\xff", "\xe6\x97", "\xed\xa0\x80", "}", "'", "/"}
	random := rand.New(rand.NewPCG(1, 2))
	text := func() string {
		var s string
		for range random.IntN(5) {
			s += pieces[random.IntN(len(pieces))]
		}
		return s
	}
	instant := func() time.Time {
		switch random.IntN(4) {
		case 0:
			return time.Time{}
		case 1:
			return time.Unix(random.Int64N(4e9), 0).UTC()
		case 2:
			return time.Unix(random.Int64N(4e9), random.Int64N(1e9)).In(time.FixedZone("", 3600*random.IntN(12)))
		default:
			return time.UnixMilli(random.Int64N(4e12))
		}
	}
	for range 20000 {
		m := content.Message{Topic: text(), Partition: random.Int32() - random.Int32(), Offset: random.Int64() - random.Int64(),
			Key: text(), Value: text(), Producer: text(), SentAt: instant(), Timestamp: instant(), ReceivedAt: instant(), UUID: text()}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(&m); err != nil {
			t.Fatal(err)
		}
		if got := m.AppendJSON(nil); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("AppendJSON of %#v:\n%s\nencoding/json:\n%s", m, got, want.Bytes())
		}
	}
}

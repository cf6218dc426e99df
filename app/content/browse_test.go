package content_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kds-io/kds/app/content"
)

func TestBrowseRequestsAreValidated(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		req  content.Browse
		want string
	}{
		{content.Browse{Limit: 0, Partition: -1}, "limit 0: want 1 to 1000"},
		{content.Browse{Limit: 5, Partition: -1, Positions: content.Positions{0: 1}, From: time.Now()}, "not both"},
		{content.Browse{Limit: 5, Partition: 2, Positions: content.Positions{0: 1}}, "partition 2: the offsets name other partitions (0:1)"},
	} {
		if err := tt.req.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.req, err, tt.want)
		}
	}
	if _, err := content.ParsePositions("0:1,x"); err == nil {
		t.Error("ParsePositions took 0:1,x")
	}
	if p, err := content.ParsePositions("2:5, 0:1"); err != nil || p.String() != "0:1,2:5" {
		t.Errorf("ParsePositions(2:5, 0:1) = %v, %v", p, err)
	}
}

package producer

import (
	"testing"

	"github.com/google/uuid"
)

func TestAppendIDWritesAnIDAsItsStringDoes(t *testing.T) {
	t.Parallel()
	for range 100 {
		id := uuid.New()
		if got := string(appendID([]byte("x"), id)); got != "x"+id.String() {
			t.Fatalf("appendID: %q, want %q", got, "x"+id.String())
		}
	}
}

package topic_test

import (
	"testing"

	"github.com/kds-io/kds/app/topic"
)

func TestParseStatusRoundTrips(t *testing.T) {
	t.Parallel()
	for _, st := range topic.Statuses {
		got, err := topic.ParseStatus(st.String())
		if err != nil || got != st {
			t.Fatalf("ParseStatus(%q) = %v, %v", st, got, err)
		}
	}
	if _, err := topic.ParseStatus("archived"); err == nil {
		t.Fatal("ParseStatus accepted an unknown status")
	}
}

func TestOnlyRejectedAndDeletedAreFinal(t *testing.T) {
	t.Parallel()
	for _, st := range topic.Statuses {
		want := st == topic.Rejected || st == topic.Deleted
		if st.IsFinal() != want {
			t.Errorf("%s.IsFinal() = %v", st, st.IsFinal())
		}
	}
}

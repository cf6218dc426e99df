package content_test

import (
	"slices"
	"testing"

	"github.com/kds-io/kds/app/content"
)

func TestActiveTopicsSayWhenATopicChanges(t *testing.T) {
	t.Parallel()
	a := content.NewActiveTopics([]string{"news"})
	for _, step := range []struct {
		name            string
		active, changed bool
	}{
		{"news", true, false},
		{"news", false, true},
		{"news", false, false},
		{"sports", true, true},
		{"news", true, true},
		{"gone", false, false},
	} {
		if changed := a.Set(step.name, step.active); changed != step.changed || a.IsActive(step.name) != step.active {
			t.Errorf("Set(%s, %v): changed %v, active %v", step.name, step.active, changed, a.IsActive(step.name))
		}
	}
	if got := a.List(); !slices.Equal(got, []string{"news", "sports"}) {
		t.Errorf("List() = %v", got)
	}
}

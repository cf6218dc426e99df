package content_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/kds-io/kds/app/content"
)

func TestRates(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	reading := func(at time.Duration, produced map[string]int64) content.Reading {
		return content.Reading{At: t0.Add(at), Produced: produced}
	}
	tests := []struct {
		name      string
		prev, cur content.Reading
		want      []content.TopicRate
	}{
		{
			name: "first reading: totals without rates",
			prev: content.Reading{},
			cur:  reading(0, map[string]int64{"b": 10, "a": 5}),
			want: []content.TopicRate{{Topic: "a", Produced: 5}, {Topic: "b", Produced: 10}},
		},
		{
			name: "messages per second over the interval",
			prev: reading(0, map[string]int64{"orders": 100, "idle": 7}),
			cur:  reading(2*time.Second, map[string]int64{"orders": 150, "idle": 7}),
			want: []content.TopicRate{{Topic: "idle", Produced: 7, Rate: 0}, {Topic: "orders", Produced: 150, Rate: 25}},
		},
		{
			name: "a topic new since the last reading has no rate yet",
			prev: reading(0, map[string]int64{"old": 1}),
			cur:  reading(2*time.Second, map[string]int64{"old": 1, "new": 40}),
			want: []content.TopicRate{{Topic: "new", Produced: 40}, {Topic: "old", Produced: 1}},
		},
		{
			name: "a topic created again counts from zero",
			prev: reading(0, map[string]int64{"again": 1000}),
			cur:  reading(4*time.Second, map[string]int64{"again": 20}),
			want: []content.TopicRate{{Topic: "again", Produced: 20, Rate: 5}},
		},
		{
			name: "a topic gone from the reading is left out",
			prev: reading(0, map[string]int64{"gone": 3, "kept": 3}),
			cur:  reading(time.Second, map[string]int64{"kept": 4}),
			want: []content.TopicRate{{Topic: "kept", Produced: 4, Rate: 1}},
		},
		{
			name: "readings at the same moment give no rate",
			prev: reading(0, map[string]int64{"x": 1}),
			cur:  reading(0, map[string]int64{"x": 9}),
			want: []content.TopicRate{{Topic: "x", Produced: 9}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := content.Rates(tt.prev, tt.cur); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Rates = %+v, want %+v", got, tt.want)
			}
		})
	}
}

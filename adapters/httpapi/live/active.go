package live

import (
	"context"
	"sync"
	"time"

	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
)

// activeListRefresh re-reads the active topics even without events, in
// case this process missed some.
const activeListRefresh = 30 * time.Second

// ActiveTopics is the set of active topics, for the message rates and for
// counting what consumer processes report. It reads them again only when
// this process has read a transition since, or after activeListRefresh.
type ActiveTopics struct {
	queries query.Queries
	// transitions counts the transition events this process has read:
	// each may have changed which topics are active.
	transitions func() uint64

	mu    sync.Mutex
	names map[string]bool
	seen  uint64    // transitions() when names were read
	at    time.Time // when names were read
}

// NewActiveTopics reads the active topics from queries when transitions
// has counted a transition event since it last did.
func NewActiveTopics(queries query.Queries, transitions func() uint64) *ActiveTopics {
	return &ActiveTopics{queries: queries, transitions: transitions}
}

// get returns the active topics; the caller must not change the map.
// Concurrent callers wait for one read.
func (l *ActiveTopics) get(ctx context.Context) (map[string]bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	seen := l.transitions()
	if l.names != nil && seen == l.seen && time.Since(l.at) < activeListRefresh {
		return l.names, nil
	}
	names, err := l.read(ctx)
	if err != nil {
		return nil, err
	}
	l.names = make(map[string]bool, len(names))
	for _, n := range names {
		l.names[n] = true
	}
	l.seen, l.at = seen, time.Now()
	return l.names, nil
}

// dashboardReader is who the active topics are read as.
var dashboardReader = auth.Principal{Name: "kds-dashboard", Role: auth.Viewer}

// read lists the names of the active topics.
func (l *ActiveTopics) read(ctx context.Context) ([]string, error) {
	ts, err := l.queries.Topics(ctx, dashboardReader, query.TopicFilter{Status: topic.Active})
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	return names, nil
}

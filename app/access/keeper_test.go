package access_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kds-io/kds/app/access"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/topic"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

type fakeState struct{ s access.State }

func (f *fakeState) AccessState(context.Context) (access.State, error) { return f.s, nil }

type fakeKafka struct {
	acls  map[access.Grant]bool
	users map[string]string
}

func (f *fakeKafka) ACLs(context.Context) ([]access.Grant, []string, error) {
	var out []access.Grant
	for g := range f.acls {
		out = append(out, g)
	}
	return out, nil, nil
}

func (f *fakeKafka) CreateACLs(_ context.Context, gs []access.Grant) error {
	for _, g := range gs {
		f.acls[g] = true
	}
	return nil
}

func (f *fakeKafka) DeleteACLs(_ context.Context, gs []access.Grant) error {
	for _, g := range gs {
		delete(f.acls, g)
	}
	return nil
}

func (f *fakeKafka) ScramUsers(context.Context) ([]string, error) {
	var out []string
	for u := range f.users {
		out = append(out, u)
	}
	return out, nil
}

func (f *fakeKafka) SetScram(_ context.Context, user, _, password string) error {
	f.users[user] = password
	return nil
}

func (f *fakeKafka) DeleteScram(_ context.Context, users []string) error {
	for _, u := range users {
		delete(f.users, u)
	}
	return nil
}

type fakeAudit struct{ records []string }

func (f *fakeAudit) RecordAccess(_ context.Context, t, actor, detail string) error {
	f.records = append(f.records, t+" by "+actor+": "+detail)
	return nil
}

type noLock struct{}

func (noLock) Hold(_ context.Context, f func() error) error { return f() }

func newKeeper(t *testing.T, s *fakeState, k *fakeKafka, a *fakeAudit) *access.Keeper {
	t.Helper()
	keeper, err := access.NewKeeper(s, k, a, noLock{}, access.KeeperConfig{Secret: []byte(strings.Repeat("s", 32)), Mechanism: "SCRAM-SHA-512", ServiceUser: "kds-service"})
	if err != nil {
		t.Fatal(err)
	}
	return keeper
}

func TestConvergeGrantsRevokesAndLeavesOthersAlone(t *testing.T) {
	t.Parallel()
	foreign := access.Grant{Principal: "User:someone", Resource: access.TopicResource, Name: "orders", Pattern: access.Literal, Operation: access.Read}
	handmade := topicGrant("User:kds-mallory", "orders", access.Write)
	own := topicGrant("User:kds-service", "orders", access.Read)
	k := &fakeKafka{acls: map[access.Grant]bool{foreign: true, handmade: true, own: true}, users: map[string]string{"kds-gone": "x", "kds-service": "y", "other": "z"}}
	s := &fakeState{access.State{
		Topics: []access.Topic{{Name: "orders", Generation: 1, Status: topic.Active, Owner: "alice"}},
		Tokens: []access.Token{{ID: "1", Name: "alice", Role: auth.Producer}},
	}}
	a := &fakeAudit{}
	keeper := newKeeper(t, s, k, a)
	ch, err := keeper.Converge(context.Background(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	if !k.acls[topicGrant("User:kds-alice", "orders", access.Write)] {
		t.Error("the owner cannot write")
	}
	if k.acls[handmade] {
		t.Error("an ACL of a managed principal kds never decided stays")
	}
	if !k.acls[own] {
		t.Error("kds's own user lost a right the operator gave it")
	}
	if !k.acls[foreign] || !slices.Contains(ch.Unmanaged, foreign.String()) {
		t.Errorf("an unmanaged ACL was touched or not reported: %v", ch.Unmanaged)
	}
	if _, ok := k.users["kds-gone"]; ok || k.users["kds-service"] == "" || k.users["other"] == "" {
		t.Errorf("SCRAM users after converging: %v", k.users)
	}
	if len(a.records) != 1 || !contains(a.records[0], "granted WRITE on topic orders to User:kds-alice") || !contains(a.records[0], "revoked WRITE on topic orders to User:kds-mallory") {
		t.Errorf("audit: %q", a.records)
	}

	// Deactivation takes every grant back, recorded as such.
	s.s.Topics[0].Status = topic.Inactive
	a.records = nil
	if _, err := keeper.Converge(context.Background(), "topic-manager"); err != nil {
		t.Fatal(err)
	}
	if k.acls[topicGrant("User:kds-alice", "orders", access.Write)] {
		t.Error("the owner still writes to an inactive topic")
	}
	if len(a.records) != 1 || !strings.HasPrefix(a.records[0], "orders by topic-manager: revoked") {
		t.Errorf("audit: %q", a.records)
	}

	// Nothing to do is recorded as nothing.
	a.records = nil
	ch, err = keeper.Converge(context.Background(), "topic-manager")
	if err != nil || len(ch.Granted)+len(ch.Revoked) != 0 || len(a.records) != 0 {
		t.Errorf("a second convergence changed %v, recorded %q, err %v", ch, a.records, err)
	}
}

func TestCredentialsAreTheCallersOwn(t *testing.T) {
	t.Parallel()
	k := &fakeKafka{acls: map[access.Grant]bool{}, users: map[string]string{}}
	live := &fakeState{access.State{Tokens: []access.Token{{ID: "t1", Name: "alice", Role: auth.Producer}, {ID: "t2", Name: "alice", Role: auth.Producer},
		{ID: "t3", Name: "v", Role: auth.Viewer}}}}
	keeper := newKeeper(t, live, k, &fakeAudit{})
	ctx := context.Background()
	alice := auth.Principal{Name: "alice", Role: auth.Producer, TokenID: "t1"}
	c, err := keeper.Credentials(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if c.Username != "kds-alice" || k.users["kds-alice"] != c.Password || len(c.Password) < 40 {
		t.Errorf("credentials %+v, stored %v", c, k.users)
	}
	again, _ := keeper.Credentials(ctx, alice)
	reissued, _ := keeper.Credentials(ctx, auth.Principal{Name: "alice", Role: auth.Producer, TokenID: "t2"})
	if again.Password != c.Password || reissued.Password == c.Password {
		t.Error("a password is not stable for a token, or not new for a new token of the same name")
	}
	var forbidden *auth.ForbiddenError
	if _, err := keeper.Credentials(ctx, auth.Principal{Name: "v", Role: auth.Viewer, TokenID: "t3"}); !errors.As(err, &forbidden) {
		t.Errorf("a viewer got credentials: %v", err)
	}
	if _, err := keeper.Credentials(ctx, auth.Principal{Name: auth.BootstrapAdminName, Role: auth.Admin}); !errors.Is(err, access.ErrNoStoredToken) {
		t.Errorf("the bootstrap admin got credentials: %v", err)
	}
	// A token revoked after it authenticated gets no SCRAM user back.
	delete(k.users, "kds-alice")
	live.s.Tokens = nil
	if _, err := keeper.Credentials(ctx, alice); !errors.Is(err, auth.ErrUnauthenticated) || k.users["kds-alice"] != "" {
		t.Errorf("a revoked token's credentials: %v, users %v", err, k.users)
	}
}

// TestConvergeAfterADecision: the decision and the convergence it calls
// for are one step, recorded as the decider's; a decision that fails
// converges nothing.
func TestConvergeAfterADecision(t *testing.T) {
	t.Parallel()
	k := &fakeKafka{acls: map[access.Grant]bool{}, users: map[string]string{}}
	s := &fakeState{}
	a := &fakeAudit{}
	keeper := newKeeper(t, s, k, a)
	refused := errors.New("not subscribed")
	if _, err := keeper.ConvergeAfter(context.Background(), "carol", func() error {
		s.s = access.State{Topics: []access.Topic{{Name: "orders", Generation: 1, Status: topic.Active, Owner: "alice"}}, Tokens: []access.Token{{ID: "1", Name: "alice", Role: auth.Producer}}}
		return refused
	}); !errors.Is(err, refused) || len(k.acls) != 0 {
		t.Fatalf("a failed decision: %v, ACLs %v", err, k.acls)
	}
	if _, err := keeper.ConvergeAfter(context.Background(), "carol", func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	if len(a.records) != 1 || !strings.HasPrefix(a.records[0], "orders by carol: granted") {
		t.Fatalf("audit %q", a.records)
	}
}

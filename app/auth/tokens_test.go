package auth_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/auth/authtest"
)

var root = auth.Principal{Name: "root", Role: auth.Admin}

func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := authtest.NewTokens()
	tokens := auth.NewTokens(store, "")
	raw, tok, err := tokens.Create(ctx, root, "alice", auth.Producer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(raw, "kds_"+tok.ID+"_") {
		t.Fatalf("token %q does not carry its id %s", raw, tok.ID)
	}
	p, err := tokens.Authenticate(ctx, raw)
	if err != nil || p.Name != "alice" || p.Role != auth.Producer || p.TokenID != tok.ID {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
	if _, err := tokens.Authenticate(ctx, raw); err != nil {
		t.Fatal(err)
	}
	if store.Touches() != 1 {
		t.Fatalf("%d writes of last use for two uses within a minute, want 1", store.Touches())
	}
	if _, err := tokens.Authenticate(ctx, raw[:len(raw)-1]+"x"); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("altered token: %v", err)
	}
	if err := tokens.Revoke(ctx, root, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.Authenticate(ctx, raw); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("revoked token: %v", err)
	}
}

func TestOnlyAdminsManageTokens(t *testing.T) {
	t.Parallel()
	tokens := auth.NewTokens(authtest.NewTokens(), "")
	_, _, err := tokens.Create(context.Background(), auth.Principal{Name: "alice", Role: auth.Producer}, "bob", auth.Admin)
	var forbidden *auth.ForbiddenError
	if !errors.As(err, &forbidden) {
		t.Fatalf("producer created a token: %v", err)
	}
}

func TestBootstrapAdminToken(t *testing.T) {
	t.Parallel()
	tokens := auth.NewTokens(authtest.NewTokens(), "let-me-in")
	p, err := tokens.Authenticate(context.Background(), "let-me-in")
	if err != nil || p.Role != auth.Admin {
		t.Fatalf("bootstrap token: %+v, %v", p, err)
	}
	for _, raw := range []string{"", "let-me-i", "kds_nothing", "kds_0123456789ab_zzz"} {
		if _, err := tokens.Authenticate(context.Background(), raw); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("Authenticate(%q) = %v, want ErrUnauthenticated", raw, err)
		}
	}
}

// TestBootstrapAdminTokenIsListed: the token list shows the bootstrap admin
// token first when the server has one, with when it was last used, and
// refuses to revoke it, which only the configuration can.
func TestBootstrapAdminTokenIsListed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if toks, err := auth.NewTokens(authtest.NewTokens(), "").List(ctx, root); err != nil || len(toks) != 0 {
		t.Fatalf("tokens of a server without a bootstrap token: %+v, %v; want none", toks, err)
	}
	tokens := auth.NewTokens(authtest.NewTokens(), "let-me-in")
	if _, _, err := tokens.Create(ctx, root, "alice", auth.Producer); err != nil {
		t.Fatal(err)
	}
	toks, err := tokens.List(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != 2 || !toks[0].Bootstrap || toks[0].ID != auth.BootstrapTokenID || toks[0].Role != auth.Admin || toks[0].LastUsed != nil || toks[1].Bootstrap {
		t.Fatalf("tokens: %+v, want the bootstrap admin token, never used, then alice's", toks)
	}
	if _, err := tokens.Authenticate(ctx, "let-me-in"); err != nil {
		t.Fatal(err)
	}
	if toks, _ = tokens.List(ctx, root); toks[0].LastUsed == nil {
		t.Errorf("the bootstrap admin token is listed as never used after it was")
	}
	if err := tokens.Revoke(ctx, root, auth.BootstrapTokenID); !errors.Is(err, auth.ErrBootstrapTokenConfigured) {
		t.Errorf("revoke the bootstrap admin token: %v, want ErrBootstrapTokenConfigured", err)
	}
	if _, err := tokens.Authenticate(ctx, "let-me-in"); err != nil {
		t.Errorf("the bootstrap admin token after a refused revocation: %v", err)
	}
}

func TestTokenNames(t *testing.T) {
	t.Parallel()
	tokens := auth.NewTokens(authtest.NewTokens(), "")
	for _, name := range []string{"", "a b", strings.Repeat("n", 65), "<script>", "admin", "Admin", "topic-manager", "TOPIC-MANAGER"} {
		if _, _, err := tokens.Create(context.Background(), root, name, auth.Viewer); err == nil {
			t.Errorf("token name %q accepted", name)
		}
	}
}

// TestTokenNamesAreUniqueAmongLiveTokens: the name of a token is the
// actor its holder's actions are recorded as, so no two live tokens share
// one, whatever its case; a revoked token's name may be used again.
func TestTokenNamesAreUniqueAmongLiveTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tokens := auth.NewTokens(authtest.NewTokens(), "")
	_, first, err := tokens.Create(ctx, root, "ci-bot", auth.Viewer)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ci-bot", "CI-Bot"} {
		if _, _, err := tokens.Create(ctx, root, name, auth.Admin); !errors.Is(err, auth.ErrTokenNameTaken) || !strings.Contains(err.Error(), `"`+name+`"`) {
			t.Errorf("a second live token named %q: %v, want ErrTokenNameTaken naming it", name, err)
		}
	}
	if err := tokens.Revoke(ctx, root, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tokens.Create(ctx, root, "ci-bot", auth.Viewer); err != nil {
		t.Errorf("the name of a revoked token: %v", err)
	}
}

// TestConsumerTokensAreMadeForConsumerIDs: a consumer's token acts for
// the consumer ids it was made for, by default the one that is its name;
// other roles are made for none.
func TestConsumerTokensAreMadeForConsumerIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tokens := auth.NewTokens(authtest.NewTokens(), "")
	for _, c := range []struct {
		name      string
		role      auth.Role
		consumers []string
		want      []string
	}{
		{name: "reader", role: auth.Consumer, want: []string{"reader"}},
		{name: "ci@build", role: auth.Consumer, consumers: []string{"orders-1", "orders-2", "orders-1"}, want: []string{"orders-1", "orders-2"}},
		{name: "viewer", role: auth.Viewer},
		{name: "ops", role: auth.Admin},
	} {
		raw, tok, err := tokens.Create(ctx, root, c.name, c.role, c.consumers...)
		if err != nil || !slices.Equal(tok.Consumers, c.want) {
			t.Errorf("create %s %s for %v: %v, %v; want %v", c.role, c.name, c.consumers, tok.Consumers, err, c.want)
			continue
		}
		if p, err := tokens.Authenticate(ctx, raw); err != nil || !slices.Equal(p.Consumers, c.want) {
			t.Errorf("%s acts for %v (%v), want %v", c.name, p.Consumers, err, c.want)
		}
	}
	for _, c := range []struct {
		name      string
		role      auth.Role
		consumers []string
		says      string
	}{
		{name: "ci@build", role: auth.Consumer, says: `the name "ci@build" is not a consumer id`},
		{name: "reader", role: auth.Consumer, consumers: []string{"a b"}, says: `invalid consumer id "a b"`},
		{name: "pat", role: auth.Producer, consumers: []string{"pat"}, says: "only consumer tokens"},
		{name: "many", role: auth.Consumer, consumers: strings.Split(strings.Repeat("c,", auth.MaxTokenConsumers)+"c", ","), says: "at most 100"},
	} {
		_, _, err := tokens.Create(ctx, root, c.name, c.role, c.consumers...)
		var invalid *auth.InvalidTokenConsumersError
		if !errors.As(err, &invalid) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("create %s %s for %v: %v, want an error saying %q", c.role, c.name, c.consumers, err, c.says)
		}
	}
}

func TestMemoryTokensMeetTheContract(t *testing.T) {
	t.Parallel()
	authtest.TokenStoreContract(t, func(*testing.T) auth.TokenStore { return authtest.NewTokens() })
}

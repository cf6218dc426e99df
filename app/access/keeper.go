package access

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Keeper keeps Kafka's ACLs and SCRAM users equal to what kds decided.
type Keeper struct {
	state      StateReader
	kafka      Kafka
	audit      Audit
	lock       Lock
	principals Principals
	secret     []byte
	mechanism  string
	// service is kds's own user, whose credentials are never touched.
	service string
	mu      sync.Mutex
}

// KeeperConfig is how a Keeper names principals and derives passwords.
type KeeperConfig struct {
	Principals Principals
	// Secret keys the passwords of the SCRAM users kds manages.
	Secret []byte
	// Mechanism is SCRAM-SHA-256 or SCRAM-SHA-512.
	Mechanism string
	// ServiceUser is kds's own Kafka user.
	ServiceUser string
}

// Validate reports every problem at once.
func (c KeeperConfig) Validate() error {
	var problems []string
	if len(c.Secret) < 32 {
		problems = append(problems, "a secret of at least 32 bytes derives the SCRAM passwords (security.message_keys)")
	}
	if c.Mechanism != "SCRAM-SHA-256" && c.Mechanism != "SCRAM-SHA-512" {
		problems = append(problems, fmt.Sprintf("mechanism %q: want SCRAM-SHA-256 or SCRAM-SHA-512", c.Mechanism))
	}
	if len(problems) > 0 {
		return fmt.Errorf("kafka.manage_acls: %s", strings.Join(problems, "; "))
	}
	return nil
}

// NewKeeper keeps kafka in line with state, recording changes in audit,
// one process at a time through lock.
func NewKeeper(state StateReader, kafka Kafka, audit Audit, lock Lock, c KeeperConfig) (*Keeper, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Keeper{state: state, kafka: kafka, audit: audit, lock: lock, principals: c.Principals,
		secret: c.Secret, mechanism: c.Mechanism, service: c.ServiceUser}, nil
}

// Changes is what one convergence found and did.
type Changes struct {
	Granted []Grant `json:"granted"`
	Revoked []Grant `json:"revoked"`
	// Unmanaged are ACLs of principals kds does not manage, left alone.
	Unmanaged []string `json:"unmanaged"`
	// DeletedUsers are SCRAM users of tokens no longer live.
	DeletedUsers []string `json:"deleted_users"`
}

// Converge makes Kafka's ACLs for the principals kds manages exactly the
// ones kds's decisions call for, deletes the SCRAM users of tokens no
// longer live, and records each topic's grants and revocations as done by
// actor.
func (k *Keeper) Converge(ctx context.Context, actor string) (Changes, error) {
	return k.ConvergeAfter(ctx, actor, func() error { return nil })
}

// ConvergeAfter makes a decision with change, then converges, holding the
// lock throughout: no other convergence, such as a reconciliation's, sees
// the decision first and records its grants and revocations as its own.
// change's error is returned as it is, and nothing converges then.
func (k *Keeper) ConvergeAfter(ctx context.Context, actor string, change func() error) (Changes, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var ch Changes
	err := k.lock.Hold(ctx, func() error {
		if err := change(); err != nil {
			return err
		}
		var err error
		ch, err = k.converge(ctx, actor)
		return err
	})
	return ch, err
}

func (k *Keeper) converge(ctx context.Context, actor string) (Changes, error) {
	ch := Changes{}
	s, err := k.state.AccessState(ctx)
	if err != nil {
		return ch, fmt.Errorf("read kds's access decisions: %w", err)
	}
	want := Desired(s, k.principals)
	have, unsupported, err := k.kafka.ACLs(ctx)
	if err != nil {
		return ch, fmt.Errorf("list Kafka's ACLs: %w", err)
	}
	ch.Unmanaged = unsupported
	managed := map[Grant]bool{}
	for _, g := range have {
		// kds's own user may have a name kds would manage; its rights are
		// the operator's.
		if k.principals.Manages(g.Principal) && g.Principal != "User:"+k.service {
			managed[g] = true
			continue
		}
		ch.Unmanaged = append(ch.Unmanaged, g.String())
	}
	for g := range want {
		if !managed[g] {
			ch.Granted = append(ch.Granted, g)
		}
	}
	for g := range managed {
		if _, ok := want[g]; !ok {
			ch.Revoked = append(ch.Revoked, g)
		}
	}
	ch.Granted, ch.Revoked = Sorted(ch.Granted), Sorted(ch.Revoked)
	slices.Sort(ch.Unmanaged)
	// Revoke first: a grant never outlives the decision that removed it
	// because an unrelated grant failed.
	if len(ch.Revoked) > 0 {
		if err := k.kafka.DeleteACLs(ctx, ch.Revoked); err != nil {
			return ch, fmt.Errorf("delete ACLs: %w", err)
		}
	}
	if len(ch.Granted) > 0 {
		if err := k.kafka.CreateACLs(ctx, ch.Granted); err != nil {
			return ch, fmt.Errorf("create ACLs: %w", err)
		}
	}
	if ch.DeletedUsers, err = k.deleteStaleUsers(ctx, s.Tokens); err != nil {
		return ch, err
	}
	return ch, k.record(ctx, s, want, ch, actor)
}

// deleteStaleUsers deletes the SCRAM users kds made for tokens no longer
// live.
func (k *Keeper) deleteStaleUsers(ctx context.Context, live []Token) ([]string, error) {
	users, err := k.kafka.ScramUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list SCRAM users: %w", err)
	}
	keep := map[string]bool{k.service: true}
	for _, t := range live {
		if HasPrincipal(t.Role) {
			keep[ScramUser(t.Name)] = true
		}
	}
	var stale []string
	for _, u := range users {
		if strings.HasPrefix(u, ManagedUserPrefix) && !keep[u] {
			stale = append(stale, u)
		}
	}
	slices.Sort(stale)
	if len(stale) > 0 {
		if err := k.kafka.DeleteScram(ctx, stale); err != nil {
			return nil, fmt.Errorf("delete SCRAM users %s: %w", strings.Join(stale, ", "), err)
		}
	}
	return stale, nil
}

// record writes one access transition per topic whose grants changed.
func (k *Keeper) record(ctx context.Context, s State, want map[Grant]string, ch Changes, actor string) error {
	names := make([]string, len(s.Topics))
	for i, t := range s.Topics {
		names[i] = t.Name
	}
	details := map[string][]string{}
	for _, g := range ch.Granted {
		if t := want[g]; t != "" {
			details[t] = append(details[t], "granted "+g.String())
		}
	}
	for _, g := range ch.Revoked {
		if t := topicOf(g, names); t != "" {
			details[t] = append(details[t], "revoked "+g.String())
		}
	}
	for _, t := range slices.Sorted(maps.Keys(details)) {
		if err := k.audit.RecordAccess(ctx, t, actor, strings.Join(details[t], "; ")); err != nil {
			return fmt.Errorf("record access to %q: %w", t, err)
		}
	}
	return nil
}

// topicOf is the topic of kds's a grant is about: its topic, or the topic
// of the consumer groups it names (the longest name that fits, for names
// that end alike), or "" for none.
func topicOf(g Grant, topics []string) string {
	if g.Resource == TopicResource {
		if slices.Contains(topics, g.Name) {
			return g.Name
		}
		return ""
	}
	best := ""
	for _, t := range topics {
		if strings.HasSuffix(g.Name, "."+t+".") && len(t) > len(best) {
			best = t
		}
	}
	return best
}

// Grants lists who may write and read each topic, as kds decided now.
func (k *Keeper) Grants(ctx context.Context) (map[string][]Grant, error) {
	s, err := k.state.AccessState(ctx)
	if err != nil {
		return nil, fmt.Errorf("read kds's access decisions: %w", err)
	}
	out := map[string][]Grant{}
	for g, t := range Desired(s, k.principals) {
		if t != "" {
			out[t] = append(out[t], g)
		}
	}
	for t := range out {
		out[t] = Sorted(out[t])
	}
	return out, nil
}

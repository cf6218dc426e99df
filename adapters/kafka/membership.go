package kafka

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// GroupConfig says how kds's consumers take part in consumer groups. A
// zero duration is Sarama's default.
type GroupConfig struct {
	// StaticMembership makes each process a static member (KIP-345) of
	// the groups it joins, under an instance id that its restarts keep: a
	// restarted process takes over its predecessor's partitions at once,
	// without waiting for the dead member's session to time out, and
	// hands them over at once when it stops gracefully. It needs Kafka
	// 2.4 or newer (kafka.version).
	StaticMembership bool
	// InstanceID, when set, is this process's instance id in every group
	// it joins; processes that run at the same time must have different
	// ones. Empty means an id claimed on this host for each group
	// (ClaimInstanceID).
	InstanceID string
	// SessionTimeout is how long the coordinator waits for a member's
	// heartbeat before it gives the member's partitions to the others.
	SessionTimeout time.Duration
	// HeartbeatInterval is how often members heartbeat; at most a third
	// of SessionTimeout.
	HeartbeatInterval time.Duration
	// RebalanceTimeout is how long the coordinator waits for every member
	// to join a rebalance, and so how long a member may take to finish
	// the messages it holds when one starts.
	RebalanceTimeout time.Duration
}

// instanceIDPattern is what Kafka takes as a group instance id.
var instanceIDPattern = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

func (g GroupConfig) validate(version string) error {
	var errs []error
	if g.SessionTimeout < 0 || g.HeartbeatInterval < 0 || g.RebalanceTimeout < 0 {
		errs = append(errs, errors.New("kafka.consumer_groups.session_timeout, heartbeat_interval and rebalance_timeout must not be negative"))
	}
	if g.HeartbeatInterval > 0 && g.SessionTimeout > 0 && g.HeartbeatInterval*3 > g.SessionTimeout {
		errs = append(errs, fmt.Errorf("kafka.consumer_groups.heartbeat_interval %v is more than a third of session_timeout %v", g.HeartbeatInterval, g.SessionTimeout))
	}
	if g.InstanceID != "" && (!instanceIDPattern.MatchString(g.InstanceID) || g.InstanceID == "." || g.InstanceID == "..") {
		errs = append(errs, fmt.Errorf("kafka.consumer_groups.instance_id %q: want 1 to 249 of a-z, A-Z, 0-9, '.', '_' and '-'", g.InstanceID))
	}
	if v, err := sarama.ParseKafkaVersion(version); err == nil && g.StaticMembership && !v.IsAtLeast(sarama.V2_4_0_0) {
		errs = append(errs, fmt.Errorf("kafka.consumer_groups.static_membership needs kafka.version 2.4.0 or newer, not %s", version))
	}
	return errors.Join(errs...)
}

// groupTimeouts are the timeouts kds's group members use.
type groupTimeouts struct {
	session, heartbeat, rebalance time.Duration
}

// timeouts are the group timeouts that are set, and Sarama's defaults for
// the others, so that every kind of member behaves alike. Unlike
// Config.sarama, it reads no TLS files.
func (g GroupConfig) timeouts() groupTimeouts {
	sc := sarama.NewConfig()
	g.apply(sc)
	t := sc.Consumer.Group
	return groupTimeouts{session: t.Session.Timeout, heartbeat: t.Heartbeat.Interval, rebalance: t.Rebalance.Timeout}
}

// apply sets the group timeouts that are set.
func (g GroupConfig) apply(sc *sarama.Config) {
	if g.SessionTimeout > 0 {
		sc.Consumer.Group.Session.Timeout = g.SessionTimeout
	}
	if g.HeartbeatInterval > 0 {
		sc.Consumer.Group.Heartbeat.Interval = g.HeartbeatInterval
	}
	if g.RebalanceTimeout > 0 {
		sc.Consumer.Group.Rebalance.Timeout = g.RebalanceTimeout
	}
}

// Membership makes the consumer-group subscribers of one process: static
// members with instance ids claimed on this host when the configuration
// says so, which leave their group when they close. Its batch subscribers
// share its connections and its one reading client.
type Membership struct {
	config   Config
	timeouts groupTimeouts
	// client sends LeaveGroup requests; it connects on first use.
	client *kgo.Client
	err    error // why there is no client

	mu         sync.Mutex
	reader     *fetcher
	requesters []*kgo.Client // a member's requests but joins, by group
	joiners    []*kgo.Client // idle clients for joins
	reading    map[string]topicReaders
}

// topicReaders are the members of a Membership that read a topic: all of
// one group, since its one reader fetches a partition once.
type topicReaders struct {
	group   string
	members int
}

// groupRequesters is how many connections to a coordinator a Membership's
// members share for heartbeats, commits and offset reads: a broker answers
// a connection's requests one at a time.
const groupRequesters = 4

// idleJoiners is how many clients for joins a Membership keeps between
// joins. A JoinGroup waits on its connection until every member of the
// group has joined, so each join in progress has a client of its own: a
// process whose thousand groups rebalance at once makes more for that
// moment, rather than have a group wait for a join that waits for it.
const idleJoiners = 4

// NewMembership returns the memberships of a process that talks to the
// cluster c describes.
func NewMembership(c Config) *Membership {
	m := &Membership{config: c, timeouts: c.Groups.timeouts()}
	m.client, m.err = kgo.NewClient(c.kgo()...)
	return m
}

// BatchSubscriber returns a BatchSubscriber in consumer group group.
func (m *Membership) BatchSubscriber(group string, start Start, logger watermill.LoggerAdapter) (message.Subscriber, error) {
	return m.member(group, func(instance string) (message.Subscriber, error) {
		return newBatchSubscriber(m, group, start, instance, logger)
	})
}

// member makes a subscriber of group with subscriber, given the instance id
// it joins the group as: none for a dynamic member.
func (m *Membership) member(group string, subscriber func(instance string) (message.Subscriber, error)) (message.Subscriber, error) {
	if group == "" {
		return nil, errors.New("a group member needs a group")
	}
	if !m.config.Groups.StaticMembership {
		return subscriber("")
	}
	claim, err := m.claim(group)
	if err != nil {
		return nil, err
	}
	sub, err := subscriber(claim.ID())
	if err != nil {
		claim.Release()
		return nil, err
	}
	return &staticMember{Subscriber: sub, membership: m, group: group, claim: claim}, nil
}

// KeyedSubscriber returns a KeyedSubscriber in consumer group group, which
// holds up to inFlight messages of many keys at once.
func (m *Membership) KeyedSubscriber(group string, start Start, inFlight int, logger watermill.LoggerAdapter) (message.Subscriber, error) {
	return m.member(group, func(instance string) (message.Subscriber, error) {
		sub, err := newKeyedSubscriber(m.config, group, start, inFlight, instance, logger)
		if err != nil {
			return nil, err
		}
		return sub, nil
	})
}

// claim is the instance id this process uses in group: the configured one,
// or one claimed on this host for the group of the cluster the brokers
// lead to.
func (m *Membership) claim(group string) (*InstanceClaim, error) {
	if id := m.config.Groups.InstanceID; id != "" {
		return &InstanceClaim{id: id}, nil
	}
	return ClaimInstanceID(strings.Join(slices.Sorted(slices.Values(m.config.Brokers)), ",") + "/" + group)
}

// Close releases the connections of the membership; its subscribers must
// be closed first.
func (m *Membership) Close() error {
	if m.client != nil {
		m.client.Close()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reader != nil {
		m.reader.close()
	}
	for _, c := range append(m.requesters, m.joiners...) {
		c.Close()
	}
	m.reader, m.requesters, m.joiners = nil, nil, nil
	return nil
}

// fetcher is the client that reads for every member; the first call
// starts it and the clients for the members' requests.
func (m *Membership) fetcher() (*fetcher, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reader != nil {
		return m.reader, nil
	}
	for len(m.requesters) < groupRequesters {
		c, err := m.groupClient()
		if err != nil {
			return nil, err
		}
		m.requesters = append(m.requesters, c)
	}
	f, err := newFetcher(m.config)
	if err != nil {
		return nil, err
	}
	m.reader = f
	return f, nil
}

// readTopic notes that a member of group reads topicName, and returns the
// function that notes it stopped. Members of other groups cannot read the
// topic at the same time: the membership's reader fetches each partition
// for one member.
func (m *Membership) readTopic(topicName, group string) (func(), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.reading[topicName]
	if ok && r.group != group {
		return nil, fmt.Errorf("consumer group %s cannot read %s: group %s reads it in this process, and a process reads a topic for one group at a time", group, topicName, r.group)
	}
	if m.reading == nil {
		m.reading = map[string]topicReaders{}
	}
	m.reading[topicName] = topicReaders{group: group, members: r.members + 1}
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		r := m.reading[topicName]
		if r.members--; r.members == 0 {
			delete(m.reading, topicName)
		} else {
			m.reading[topicName] = r
		}
	}, nil
}

// requester is the client for group's heartbeats, commits and offsets,
// once fetcher has started them.
func (m *Membership) requester(group string) *kgo.Client {
	h := fnv.New32a()
	h.Write([]byte(group))
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.requesters[h.Sum32()%groupRequesters]
}

// joiner is a client for one join, and the function that gives it back.
func (m *Membership) joiner() (*kgo.Client, func(), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var c *kgo.Client
	if n := len(m.joiners); n > 0 {
		c, m.joiners = m.joiners[n-1], m.joiners[:n-1]
	} else {
		var err error
		if c, err = m.groupClient(); err != nil {
			return nil, nil, err
		}
	}
	return c, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if len(m.joiners) < idleJoiners {
			m.joiners = append(m.joiners, c)
			return
		}
		c.Close()
	}, nil
}

// groupClient makes a client for group requests. Kafka 4's OffsetCommit
// names topics by id only; member commits by name, so it stays below it.
func (m *Membership) groupClient() (*kgo.Client, error) {
	versions := kversion.FromString(m.config.version())
	if versions == nil {
		versions = kversion.Stable()
	}
	commit := (*kmsg.OffsetCommitRequest)(nil).Key()
	if v, ok := versions.LookupMaxKeyVersion(commit); ok && v > 9 {
		versions.SetMaxKeyVersion(commit, 9)
	}
	c, err := kgo.NewClient(append(m.config.kgo(), kgo.MaxVersions(versions))...)
	if err != nil {
		return nil, &UnreachableError{Where: m.config.Where(), Err: err}
	}
	return c, nil
}

// leave tells group's coordinator that instance leaves it now, so that its
// partitions go to the other members at once. Sarama sends no LeaveGroup
// for a static member that closes: the member keeps its partitions until
// its session times out, unless a process with its instance id comes back;
// nor does franz-go.
// A member the group no longer has has left already.
func (m *Membership) leave(group, instance string) error {
	if m.err != nil {
		return fmt.Errorf("leave group %s as %s: %w", group, instance, &UnreachableError{Where: m.config.Where(), Err: m.err})
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.config.RequestTimeout)
	defer cancel()
	left, err := kadm.NewClient(m.client).LeaveGroup(ctx, kadm.LeaveGroup(group).InstanceIDs(instance))
	if err == nil {
		err = left.Error()
	}
	var answered *kerr.Error
	switch {
	case err == nil, errors.Is(err, kerr.UnknownMemberID):
		return nil
	case !errors.As(err, &answered):
		err = m.config.unreachable(ctx, err)
	}
	return fmt.Errorf("leave group %s as %s: %w", group, instance, err)
}

// staticMember is a subscriber that leaves its group when it closes, and
// then gives up its instance id.
type staticMember struct {
	message.Subscriber
	membership *Membership
	group      string
	claim      *InstanceClaim

	once sync.Once
	err  error
}

func (s *staticMember) Close() error {
	s.once.Do(func() {
		s.err = errors.Join(s.Subscriber.Close(), s.membership.leave(s.group, s.claim.ID()))
		s.claim.Release()
	})
	return s.err
}

// StartAtNewest gives consumer group group a committed offset on every
// partition of topic that has none: the partition's newest offset, now.
//
// A group that starts FromNewest resolves "newest" only when it is first
// assigned a partition, and commits nothing for a partition it read
// nothing from. Without this, the messages sent between a subscription and
// its group's first assignment would be skipped, and so would those sent,
// while no process of the consumer ran, to a partition it had read nothing
// from before it stopped. Once every partition has an offset, a resumed
// subscription continues exactly where it left off.
//
// It asks through the membership's connections: a process subscribes
// many times.
func (m *Membership) StartAtNewest(ctx context.Context, group, topicName string) error {
	c := m.config
	if m.err != nil {
		return &UnreachableError{Where: c.Where(), Err: m.err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.RequestTimeout)
	defer cancel()
	admin := kadm.NewClient(m.client)
	newest, err := admin.ListEndOffsets(ctx, topicName)
	if err != nil {
		return c.unreachable(ctx, err)
	}
	if err := newest.Error(); err != nil {
		return fmt.Errorf("newest offsets of %s: %w", topicName, err)
	}
	committed, err := admin.FetchOffsets(ctx, group)
	switch {
	case errors.Is(err, kerr.GroupIDNotFound):
		// A group nobody used yet (kfake says so; Kafka has no offsets).
	case err != nil:
		return fmt.Errorf("committed offsets of group %s: %w", group, c.unreachable(ctx, err))
	}
	start := kadm.Offsets{}
	var errs []error
	newest.Each(func(end kadm.ListedOffset) {
		o, ok := committed.Lookup(topicName, end.Partition)
		switch {
		case ok && o.Err != nil:
			errs = append(errs, fmt.Errorf("committed offset of group %s on %s/%d: %w", group, topicName, end.Partition, o.Err))
		case !ok || o.At < 0:
			start.Add(kadm.Offset{Topic: topicName, Partition: end.Partition, At: end.Offset, LeaderEpoch: -1})
		}
	})
	if len(errs) > 0 || len(start) == 0 {
		return errors.Join(errs...)
	}
	// Without a member or a generation, the commit comes from outside the
	// group.
	answers, err := admin.CommitOffsets(ctx, group, start)
	if err != nil {
		return fmt.Errorf("commit the start of group %s: %w", group, c.unreachable(ctx, err))
	}
	answers.Each(func(a kadm.OffsetResponse) {
		switch {
		case a.Err == nil:
		case errors.Is(a.Err, kerr.IllegalGeneration), errors.Is(a.Err, kerr.UnknownMemberID), errors.Is(a.Err, kerr.RebalanceInProgress):
			// The group has members: another process of the same
			// consumer runs it and has positions of its own.
		default:
			errs = append(errs, fmt.Errorf("commit the start of group %s on %s/%d: %w", group, topicName, a.Partition, a.Err))
		}
	})
	return errors.Join(errs...)
}

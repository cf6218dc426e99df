package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// member is one subscription's member of its consumer group: it speaks
// the classic group protocol itself, as Kafka's Java consumer, Sarama and
// franz-go do, with the range assignor (so it shares a group with any of
// them), through the connections its Membership shares among all its
// members, and has its partitions read by the Membership's fetcher.
//
// It marks what its handler took and commits the marks every second, when
// a rebalance takes its partitions and when it stops; a rebalance waits
// for the batch being handled.
type member struct {
	members  *Membership
	fetcher  *fetcher
	group    string
	topic    string
	instance string // static member id; empty for a dynamic member
	start    Start
	logger   watermill.LoggerAdapter
	handle   func(context.Context, *Batch)

	// Set by join, read by the requests that follow it.
	memberID   string
	generation int32

	mu    sync.Mutex
	marks map[int32]int64 // the next offset to commit, by partition
}

// errRejoin is why a member stops reading: its group is rebalancing or no
// longer knows it, and it must join again.
var errRejoin = errors.New("the group rebalances")

// retryAfter is how long a member waits before it tries again to join a
// group that could not be reached or refused it.
const retryAfter = 500 * time.Millisecond

// run takes part in the group until ctx ends, then commits what was taken
// and, as a dynamic member, leaves.
func (m *member) run(ctx context.Context) {
	for ctx.Err() == nil {
		partitions, err := m.join(ctx)
		if err == nil {
			err = m.consume(ctx, partitions)
		}
		if err != nil && ctx.Err() == nil && !errors.Is(err, errRejoin) {
			m.logger.Error("Consumer group membership failed; joining again", err, watermill.LogFields{"group": m.group, "topic": m.topic})
			select {
			case <-ctx.Done():
			case <-time.After(retryAfter):
			}
		}
	}
	if m.instance == "" && m.memberID != "" {
		m.leave()
	}
}

// join joins the group, as its leader assigns its partitions, and returns
// the partitions this member was given.
func (m *member) join(ctx context.Context) ([]int32, error) {
	balancer := kgo.RangeBalancer()
	c, timeouts := m.members.config, m.members.timeouts
	client, release, err := m.members.joiner()
	if err != nil {
		return nil, err
	}
	defer release()
	for {
		join := kmsg.NewPtrJoinGroupRequest()
		join.Group = m.group
		join.SessionTimeoutMillis = int32(timeouts.session.Milliseconds())
		join.RebalanceTimeoutMillis = int32(timeouts.rebalance.Milliseconds())
		join.MemberID = m.memberID
		join.InstanceID = m.instanceID()
		join.ProtocolType = "consumer"
		protocol := kmsg.NewJoinGroupRequestProtocol()
		protocol.Name = balancer.ProtocolName()
		protocol.Metadata = balancer.JoinGroupMetadata([]string{m.topic}, nil, -1)
		join.Protocols = append(join.Protocols, protocol)
		joined, err := join.RequestWith(ctx, client)
		if err != nil {
			return nil, c.unreachable(ctx, err)
		}
		switch err := kerr.ErrorForCode(joined.ErrorCode); {
		case err == nil:
		case errors.Is(err, kerr.MemberIDRequired):
			m.memberID = joined.MemberID
			continue
		case errors.Is(err, kerr.UnknownMemberID):
			m.memberID = ""
			continue
		case errors.Is(err, kerr.RebalanceInProgress):
			continue
		default:
			return nil, fmt.Errorf("join group %s: %w", m.group, err)
		}
		m.memberID, m.generation = joined.MemberID, joined.Generation

		sync := kmsg.NewPtrSyncGroupRequest()
		sync.Group = m.group
		sync.Generation = joined.Generation
		sync.MemberID = joined.MemberID
		sync.InstanceID = m.instanceID()
		sync.ProtocolType = kmsg.StringPtr("consumer")
		sync.Protocol = joined.Protocol
		if joined.LeaderID == joined.MemberID && !joined.SkipAssignment {
			if sync.GroupAssignment, err = m.assign(ctx, balancer, joined.Members); err != nil {
				return nil, err
			}
		}
		synced, err := sync.RequestWith(ctx, client)
		if err != nil {
			return nil, c.unreachable(ctx, err)
		}
		switch err := kerr.ErrorForCode(synced.ErrorCode); {
		case err == nil:
		case errors.Is(err, kerr.UnknownMemberID):
			m.memberID = ""
			continue
		case errors.Is(err, kerr.RebalanceInProgress), errors.Is(err, kerr.IllegalGeneration):
			continue
		default:
			return nil, fmt.Errorf("sync group %s: %w", m.group, err)
		}
		if len(synced.MemberAssignment) == 0 {
			return nil, nil
		}
		assigned, err := balancer.ParseSyncAssignment(synced.MemberAssignment)
		if err != nil {
			return nil, fmt.Errorf("the assignment of group %s: %w", m.group, err)
		}
		return assigned[m.topic], nil
	}
}

// assign is the leader's assignment of the partitions the group's members
// read.
func (m *member) assign(ctx context.Context, balancer kgo.GroupBalancer, members []kmsg.JoinGroupResponseMember) ([]kmsg.SyncGroupRequestGroupAssignment, error) {
	b, topics, err := balancer.MemberBalancer(members)
	if err != nil {
		return nil, fmt.Errorf("balance group %s: %w", m.group, err)
	}
	names := make([]string, 0, len(topics))
	for t := range topics {
		names = append(names, t)
	}
	details, err := kadm.NewClient(m.members.requester(m.group)).ListTopics(ctx, names...)
	if err != nil {
		return nil, m.members.config.unreachable(ctx, err)
	}
	counts := map[string]int32{}
	for _, t := range details {
		if t.Err == nil {
			counts[t.Topic] = int32(len(t.Partitions))
		}
	}
	if b, ok := b.(kgo.GroupMemberBalancerOrError); ok {
		plan, err := b.BalanceOrError(counts)
		if err != nil {
			return nil, fmt.Errorf("balance group %s: %w", m.group, err)
		}
		return plan.IntoSyncAssignment(), nil
	}
	return b.Balance(counts).IntoSyncAssignment(), nil
}

// consume reads partitions until the group rebalances, forgets this member
// or ctx ends, then commits what the handler took.
func (m *member) consume(ctx context.Context, partitions []int32) error {
	if len(partitions) == 0 {
		return m.heartbeatUntilRebalance(ctx)
	}
	from, err := m.startOffsets(ctx, partitions)
	if err != nil {
		return err
	}
	m.fetcher.assign(m.topic, from, m.handle)
	err = m.heartbeatUntilRebalance(ctx)
	m.fetcher.revoke(m.topic, partitions)
	commitCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.members.config.RequestTimeout)
	defer cancel()
	err = errors.Join(err, m.commit(commitCtx))
	// Marks that could not be committed now must not be committed in a
	// later generation, whose member may have read further.
	m.mu.Lock()
	m.marks = nil
	m.mu.Unlock()
	return err
}

// heartbeatUntilRebalance heartbeats, and commits what was marked, until
// ctx ends or the group wants this member to join again.
func (m *member) heartbeatUntilRebalance(ctx context.Context) error {
	timeouts := m.members.timeouts
	heartbeats := time.NewTicker(timeouts.heartbeat)
	defer heartbeats.Stop()
	commits := time.NewTicker(commitInterval)
	defer commits.Stop()
	answered := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-commits.C:
			if err := m.commit(ctx); errors.Is(err, errRejoin) {
				return err
			}
		case <-heartbeats.C:
			err := m.heartbeat(ctx)
			var unreachable *UnreachableError
			switch {
			case errors.As(err, &unreachable) && time.Since(answered) < timeouts.session:
				// The coordinator may answer the next one in time.
			case err != nil:
				return err
			default:
				answered = time.Now()
			}
		}
	}
}

func (m *member) heartbeat(ctx context.Context) error {
	req := kmsg.NewPtrHeartbeatRequest()
	req.Group = m.group
	req.Generation = m.generation
	req.MemberID = m.memberID
	req.InstanceID = m.instanceID()
	resp, err := req.RequestWith(ctx, m.members.requester(m.group))
	if err != nil {
		return m.members.config.unreachable(ctx, err)
	}
	return m.groupError("heartbeat", resp.ErrorCode)
}

// groupError is the error a group request was answered with: errRejoin
// when the group moved on without this member's generation.
func (m *member) groupError(request string, code int16) error {
	switch err := kerr.ErrorForCode(code); {
	case err == nil:
		return nil
	case errors.Is(err, kerr.UnknownMemberID):
		m.memberID = ""
		return fmt.Errorf("%s of group %s: %w: %w", request, m.group, errRejoin, err)
	case errors.Is(err, kerr.RebalanceInProgress), errors.Is(err, kerr.IllegalGeneration):
		return fmt.Errorf("%s of group %s: %w: %w", request, m.group, errRejoin, err)
	default:
		return fmt.Errorf("%s of group %s: %w", request, m.group, err)
	}
}

// startOffsets is where each partition's reading starts: the group's
// committed offset, or where m.start says for a partition without one.
func (m *member) startOffsets(ctx context.Context, partitions []int32) (map[int32]int64, error) {
	c := m.members.config
	admin := kadm.NewClient(m.members.requester(m.group))
	committed, err := admin.FetchOffsets(ctx, m.group)
	switch {
	case errors.Is(err, kerr.GroupIDNotFound):
	case err != nil:
		return nil, fmt.Errorf("committed offsets of group %s: %w", m.group, c.unreachable(ctx, err))
	}
	from := map[int32]int64{}
	var missing bool
	for _, p := range partitions {
		if o, ok := committed.Lookup(m.topic, p); ok && o.Err == nil && o.At >= 0 {
			from[p] = o.At
		} else {
			missing = true
		}
	}
	if !missing {
		return from, nil
	}
	list := admin.ListStartOffsets
	if m.start == FromNewest {
		list = admin.ListEndOffsets
	}
	listed, err := list(ctx, m.topic)
	if err != nil {
		return nil, c.unreachable(ctx, err)
	}
	for _, p := range partitions {
		if _, ok := from[p]; ok {
			continue
		}
		o, ok := listed.Lookup(m.topic, p)
		if !ok || o.Err != nil {
			return nil, fmt.Errorf("the start of %s/%d: %w", m.topic, p, errors.Join(o.Err, errors.New("not listed")))
		}
		from[p] = o.Offset
	}
	return from, nil
}

// mark notes that the handler took every record of partition before next.
func (m *member) mark(partition int32, next int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.marks == nil {
		m.marks = map[int32]int64{}
	}
	m.marks[partition] = next
}

// commit commits the marks made since the previous commit.
func (m *member) commit(ctx context.Context) error {
	m.mu.Lock()
	marks := m.marks
	m.marks = nil
	m.mu.Unlock()
	if len(marks) == 0 {
		return nil
	}
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group = m.group
	req.Generation = m.generation
	req.MemberID = m.memberID
	req.InstanceID = m.instanceID()
	topic := kmsg.NewOffsetCommitRequestTopic()
	topic.Topic = m.topic
	for p, next := range marks {
		part := kmsg.NewOffsetCommitRequestTopicPartition()
		part.Partition, part.Offset, part.LeaderEpoch = p, next, -1
		topic.Partitions = append(topic.Partitions, part)
	}
	req.Topics = append(req.Topics, topic)
	resp, err := req.RequestWith(ctx, m.members.requester(m.group))
	if err != nil {
		m.remark(marks)
		return m.members.config.unreachable(ctx, err)
	}
	var errs []error
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := m.groupError("commit", p.ErrorCode); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		m.remark(marks)
	}
	return errors.Join(errs...)
}

// remark keeps marks that could not be committed for the next commit,
// unless newer ones were made since.
func (m *member) remark(marks map[int32]int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.marks == nil {
		m.marks = map[int32]int64{}
	}
	for p, next := range marks {
		if _, newer := m.marks[p]; !newer {
			m.marks[p] = next
		}
	}
}

// leave tells the coordinator that this dynamic member leaves now, so
// that its partitions go to the others at once.
func (m *member) leave() {
	ctx, cancel := context.WithTimeout(context.Background(), m.members.config.RequestTimeout)
	defer cancel()
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Group = m.group
	req.MemberID = m.memberID
	leaving := kmsg.NewLeaveGroupRequestMember()
	leaving.MemberID = m.memberID
	req.Members = append(req.Members, leaving)
	if _, err := req.RequestWith(ctx, m.members.requester(m.group)); err != nil {
		m.logger.Error("Could not leave the consumer group", err, watermill.LogFields{"group": m.group})
	}
}

func (m *member) instanceID() *string {
	if m.instance == "" {
		return nil
	}
	return &m.instance
}

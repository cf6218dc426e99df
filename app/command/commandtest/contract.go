package commandtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// TopicRepositoryContract runs the behaviour every command.TopicRepository
// must have against the implementation newRepo returns; each call must
// return an empty repository.
func TopicRepositoryContract(t *testing.T, newRepo func(t *testing.T) command.TopicRepository) {
	t.Run("new topic is stored and read back", func(t *testing.T) {
		t.Parallel()
		repo, ctx := newRepo(t), context.Background()
		spec := topic.Spec{Partitions: 3, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "3600000"}}
		mustUpdate(t, repo, cmd("orders"), create("orders", spec))
		got, err := repo.Get(ctx, topic.MustParseName("orders"))
		if err != nil {
			t.Fatal(err)
		}
		if got.Status() != topic.Pending || got.Generation() != 1 || !got.Spec().Equal(spec) || got.RequestedBy() != "alice" {
			t.Fatalf("read back %s gen %d spec %+v by %q", got.Status(), got.Generation(), got.Spec(), got.RequestedBy())
		}
	})

	t.Run("an update is stored with its details", func(t *testing.T) {
		t.Parallel()
		repo, ctx := newRepo(t), context.Background()
		mustUpdate(t, repo, cmd("described"), create("described", oneSpec))
		for _, move := range []func(*topic.Topic) error{
			func(tp *topic.Topic) error { return tp.Approve("root", "") },
			func(tp *topic.Topic) error { return tp.Activate("tm") },
		} {
			mustUpdate(t, repo, cmd("described"), transition(move))
		}
		grown := topic.Spec{Partitions: 4, ReplicationFactor: 1, Configs: map[string]string{"cleanup.policy": "compact"}}
		details := topic.Details{Owner: "newsroom", Description: "what the newsroom publishes", Producers: []string{"wire", "desk"}, Consumers: []string{"archive"}}
		mustUpdate(t, repo, cmd("described"), transition(func(tp *topic.Topic) error { return tp.Update(grown, details, topic.Limits{}, "root", "") }))
		got, err := repo.Get(ctx, topic.MustParseName("described"))
		if err != nil {
			t.Fatal(err)
		}
		if got.Status() != topic.Active || !got.Spec().Equal(grown) || !got.Details().Equal(details) {
			t.Fatalf("read back %s spec %+v details %+v", got.Status(), got.Spec(), got.Details())
		}
	})

	t.Run("topics are read back together", func(t *testing.T) {
		t.Parallel()
		repo, ctx := newRepo(t), context.Background()
		mustUpdate(t, repo, cmd("first"), create("first", oneSpec))
		mustUpdate(t, repo, cmd("second"), create("second", oneSpec))
		mustUpdate(t, repo, cmd("second"), transition(func(tp *topic.Topic) error { return tp.Approve("root", "") }))
		mustUpdate(t, repo, cmd("third"), create("third", oneSpec))
		first, second, missing := topic.MustParseName("first"), topic.MustParseName("second"), topic.MustParseName("missing")
		got, err := repo.GetAll(ctx, []topic.Name{second, missing, first})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[first] == nil || got[second] == nil {
			t.Fatalf("read back %v, want first and second only", got)
		}
		if got[first].Status() != topic.Pending || got[second].Status() != topic.Approved || got[second].Name() != second {
			t.Fatalf("read back first %s, second %s %s", got[first].Status(), got[second].Name(), got[second].Status())
		}
		if none, err := repo.GetAll(ctx, nil); err != nil || len(none) != 0 {
			t.Fatalf("no names: %v, %v", none, err)
		}
	})

	t.Run("unknown topic is not found", func(t *testing.T) {
		t.Parallel()
		_, err := newRepo(t).Get(context.Background(), topic.MustParseName("nothing_here"))
		var notFound *topic.NotFoundError
		if !errors.As(err, &notFound) {
			t.Fatalf("got %v, want NotFoundError", err)
		}
	})

	t.Run("a command is applied once", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t)
		mustUpdate(t, repo, cmd("once"), create("once", oneSpec))
		approve := cmd("once")
		mustUpdate(t, repo, approve, transition(func(tp *topic.Topic) error { return tp.Approve("root", "") }))
		called := false
		err := repo.Update(context.Background(), approve, func(cur *topic.Topic) (*topic.Topic, error) {
			called = true
			return cur, nil
		})
		if !errors.Is(err, command.ErrAlreadyHandled) || called {
			t.Fatalf("redelivered command: err %v, change called %v; want ErrAlreadyHandled without a call", err, called)
		}
	})

	t.Run("a refusal stores nothing and settles the command", func(t *testing.T) {
		t.Parallel()
		repo, ctx := newRepo(t), context.Background()
		mustUpdate(t, repo, cmd("refused"), create("refused", oneSpec))
		deactivate := cmd("refused")
		err := repo.Update(ctx, deactivate, transition(func(tp *topic.Topic) error { return tp.Deactivate("root", "") }))
		var illegal *topic.IllegalTransitionError
		if !errors.As(err, &illegal) {
			t.Fatalf("got %v, want the IllegalTransitionError back", err)
		}
		assertStatus(t, repo, "refused", topic.Pending)
		if err := repo.Update(ctx, deactivate, keep); !errors.Is(err, command.ErrAlreadyHandled) {
			t.Fatalf("rejected command ran again: %v", err)
		}
	})

	t.Run("a failure stores nothing and may be retried", func(t *testing.T) {
		t.Parallel()
		repo, ctx := newRepo(t), context.Background()
		mustUpdate(t, repo, cmd("failing"), create("failing", oneSpec))
		c := cmd("failing")
		// A failure wrapping a refusal, as when Kafka refuses a topic, is
		// still a failure: it may be retried.
		failure := &command.FailedError{Err: &command.ClusterRefusedError{Op: "create", Topic: "failing", Reason: "broker said no"}}
		if err := repo.Update(ctx, c, func(*topic.Topic) (*topic.Topic, error) { return nil, failure }); !errors.Is(err, failure) {
			t.Fatalf("got %v, want the failure back", err)
		}
		mustUpdate(t, repo, c, transition(func(tp *topic.Topic) error { return tp.Approve("root", "") }))
		assertStatus(t, repo, "failing", topic.Approved)
	})

	t.Run("an infrastructure error rolls back and leaves the command open", func(t *testing.T) {
		t.Parallel()
		repo, ctx := newRepo(t), context.Background()
		mustUpdate(t, repo, cmd("flaky"), create("flaky", oneSpec))
		c := cmd("flaky")
		boom := errors.New("connection reset")
		err := repo.Update(ctx, c, func(cur *topic.Topic) (*topic.Topic, error) {
			if err := cur.Approve("root", ""); err != nil {
				return nil, err
			}
			return cur, boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v, want the error back", err)
		}
		assertStatus(t, repo, "flaky", topic.Pending)
		mustUpdate(t, repo, c, transition(func(tp *topic.Topic) error { return tp.Approve("root", "") }))
	})

	t.Run("names differing by dot and underscore collide while live", func(t *testing.T) {
		t.Parallel()
		repo, ctx := newRepo(t), context.Background()
		mustUpdate(t, repo, cmd("metrics.cpu"), create("metrics.cpu", oneSpec))
		err := repo.Update(ctx, cmd("metrics_cpu"), create("metrics_cpu", oneSpec))
		var collision *topic.CollisionError
		if !errors.As(err, &collision) || collision.Existing != "metrics.cpu" {
			t.Fatalf("got %v, want CollisionError with metrics.cpu", err)
		}
		mustUpdate(t, repo, cmd("metrics.cpu"), transition(func(tp *topic.Topic) error { return tp.Reject("root", "") }))
		mustUpdate(t, repo, cmd("metrics_cpu"), create("metrics_cpu", oneSpec))
	})

	t.Run("a live topic that collides is found before a request is applied", func(t *testing.T) {
		t.Parallel()
		repo, ctx := newRepo(t), context.Background()
		collision := func(name string) string {
			t.Helper()
			existing, err := repo.LiveCollision(ctx, topic.MustParseName(name))
			if err != nil {
				t.Fatal(err)
			}
			return existing
		}
		if got := collision("disk_io"); got != "" {
			t.Fatalf("empty repository: collides with %q", got)
		}
		mustUpdate(t, repo, cmd("disk.io"), create("disk.io", oneSpec))
		if got := collision("disk_io"); got != "disk.io" {
			t.Fatalf("disk_io collides with %q, want disk.io", got)
		}
		if got := collision("disk.io"); got != "" {
			t.Fatalf("disk.io collides with %q, want nothing: a topic does not collide with itself", got)
		}
		if got := collision("disk-io"); got != "" {
			t.Fatalf("disk-io collides with %q, want nothing", got)
		}
		mustUpdate(t, repo, cmd("disk.io"), transition(func(tp *topic.Topic) error { return tp.Reject("root", "") }))
		if got := collision("disk_io"); got != "" {
			t.Fatalf("after disk.io was rejected, disk_io collides with %q", got)
		}
	})

	t.Run("a final topic starts a new generation", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t)
		mustUpdate(t, repo, cmd("again"), create("again", oneSpec))
		mustUpdate(t, repo, cmd("again"), transition(func(tp *topic.Topic) error { return tp.Reject("root", "") }))
		bigger := topic.Spec{Partitions: 6, ReplicationFactor: 1}
		mustUpdate(t, repo, cmd("again"), create("again", bigger))
		got, err := repo.Get(context.Background(), topic.MustParseName("again"))
		if err != nil {
			t.Fatal(err)
		}
		if got.Generation() != 2 || got.Status() != topic.Pending || got.Spec().Partitions != 6 {
			t.Fatalf("after a new request: gen %d %s %d partitions", got.Generation(), got.Status(), got.Spec().Partitions)
		}
	})

	t.Run("concurrent decisions on one topic: exactly one wins", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t)
		mustUpdate(t, repo, cmd("contested"), create("contested", oneSpec))
		var wins, refusals atomic.Int32
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				decide := func(tp *topic.Topic) error { return tp.Approve(fmt.Sprint("admin", i), "") }
				if i%2 == 1 {
					decide = func(tp *topic.Topic) error { return tp.Reject(fmt.Sprint("admin", i), "") }
				}
				err := repo.Update(context.Background(), cmd("contested"), transition(decide))
				switch {
				case err == nil:
					wins.Add(1)
				case topic.IsRefusal(err):
					refusals.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 || refusals.Load() != 15 {
			t.Fatalf("%d wins and %d refusals, want 1 and 15", wins.Load(), refusals.Load())
		}
	})

	t.Run("changes made together run in order, each once", func(t *testing.T) {
		t.Parallel()
		repo, ctx := newRepo(t), context.Background()
		requestB := cmd("batch-b")
		approve := func(tp *topic.Topic) error { return tp.Approve("root", "") }
		changes := []command.Change{
			{Command: cmd("batch-a"), Apply: create("batch-a", oneSpec)},
			// sees batch-a as the change before it left it
			{Command: cmd("batch-a"), Apply: transition(approve)},
			{Command: requestB, Apply: create("batch-b", oneSpec)},
			// refused: recorded, and its neighbours still made
			{Command: cmd("batch-ghost"), Apply: func(*topic.Topic) (*topic.Topic, error) { return nil, &topic.NotFoundError{Topic: "batch-ghost"} }},
			{Command: cmd("batch-a"), Apply: transition(approve)},
			{Command: cmd("batch-c"), Apply: create("batch-c", oneSpec)},
			// the same command again, as a redelivery brings it
			{Command: requestB, Apply: create("batch-b", oneSpec)},
		}
		errs := repo.UpdateAll(ctx, changes)
		var (
			notFound *topic.NotFoundError
			illegal  *topic.IllegalTransitionError
		)
		if len(errs) != len(changes) || errs[0] != nil || errs[1] != nil || errs[2] != nil || !errors.As(errs[3], &notFound) || !errors.As(errs[4], &illegal) ||
			errs[5] != nil || !errors.Is(errs[6], command.ErrAlreadyHandled) {
			t.Fatalf("outcomes %v", errs)
		}
		assertStatus(t, repo, "batch-a", topic.Approved)
		assertStatus(t, repo, "batch-b", topic.Pending)
		assertStatus(t, repo, "batch-c", topic.Pending)
		// Made again, as after a crash before the acknowledgement: every
		// change was applied or refused, so none runs again.
		for i, err := range repo.UpdateAll(ctx, changes) {
			if !errors.Is(err, command.ErrAlreadyHandled) {
				t.Errorf("change %d made again: %v, want ErrAlreadyHandled", i, err)
			}
		}
	})

	t.Run("a change that fails among others fails alone", func(t *testing.T) {
		t.Parallel()
		repo, ctx := newRepo(t), context.Background()
		boom := errors.New("connection reset")
		broken := cmd("lone-broken")
		errs := repo.UpdateAll(ctx, []command.Change{
			{Command: cmd("lone-before"), Apply: create("lone-before", oneSpec)},
			{Command: broken, Apply: func(*topic.Topic) (*topic.Topic, error) { return nil, boom }},
			{Command: cmd("lone-after"), Apply: create("lone-after", oneSpec)},
		})
		if errs[0] != nil || !errors.Is(errs[1], boom) || errs[2] != nil {
			t.Fatalf("outcomes %v, want only the broken change to fail", errs)
		}
		assertStatus(t, repo, "lone-before", topic.Pending)
		assertStatus(t, repo, "lone-after", topic.Pending)
		if _, err := repo.Get(ctx, topic.MustParseName("lone-broken")); err == nil {
			t.Fatal("the broken change stored its topic")
		}
		mustUpdate(t, repo, broken, create("lone-broken", oneSpec))
	})

	t.Run("a topic that ends in a batch leaves its name to the next", func(t *testing.T) {
		t.Parallel()
		repo, ctx := newRepo(t), context.Background()
		mustUpdate(t, repo, cmd("freed.io"), create("freed.io", oneSpec))
		mustUpdate(t, repo, cmd("again.io"), create("again.io", oneSpec))
		reject := transition(func(tp *topic.Topic) error { return tp.Reject("root", "") })
		errs := repo.UpdateAll(ctx, []command.Change{
			{Command: cmd("freed.io"), Apply: reject},
			{Command: cmd("freed_io"), Apply: create("freed_io", oneSpec)},
			{Command: cmd("again.io"), Apply: reject},
			{Command: cmd("again.io"), Apply: create("again.io", topic.Spec{Partitions: 2, ReplicationFactor: 1})},
			{Command: cmd("again.io"), Apply: transition(func(tp *topic.Topic) error { return tp.Approve("root", "") })},
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("change %d: %v", i, err)
			}
		}
		assertStatus(t, repo, "freed.io", topic.Rejected)
		assertStatus(t, repo, "freed_io", topic.Pending)
		got, err := repo.Get(ctx, topic.MustParseName("again.io"))
		if err != nil || got.Generation() != 2 || got.Status() != topic.Approved || got.Spec().Partitions != 2 {
			t.Fatalf("again.io: %v, %v; want generation 2 approved with 2 partitions", got, err)
		}
	})

	t.Run("names that collide in one batch: the second is refused", func(t *testing.T) {
		t.Parallel()
		repo, ctx := newRepo(t), context.Background()
		errs := repo.UpdateAll(ctx, []command.Change{
			{Command: cmd("batch.io"), Apply: create("batch.io", oneSpec)},
			{Command: cmd("batch_io"), Apply: create("batch_io", oneSpec)},
			{Command: cmd("batch-io"), Apply: create("batch-io", oneSpec)},
		})
		var collision *topic.CollisionError
		if errs[0] != nil || !errors.As(errs[1], &collision) || collision.Existing != "batch.io" || errs[2] != nil {
			t.Fatalf("outcomes %v", errs)
		}
		assertStatus(t, repo, "batch-io", topic.Pending)
	})
}

var oneSpec = topic.Spec{Partitions: 1, ReplicationFactor: 1}

var keep = func(cur *topic.Topic) (*topic.Topic, error) { return cur, nil }

func cmd(name string) command.Command {
	return command.Command{Type: "Test", ID: uuid.NewString(), Topic: name, Actor: "alice", IssuedAt: time.Now().UTC()}
}

func create(name string, spec topic.Spec) func(*topic.Topic) (*topic.Topic, error) {
	return func(cur *topic.Topic) (*topic.Topic, error) {
		if cur != nil {
			return cur, cur.RequestAgain(spec, topic.Details{}, topic.Limits{}, "alice", "")
		}
		return topic.New(topic.MustParseName(name), spec, topic.Details{}, topic.Limits{}, "alice", "")
	}
}

func transition(fn func(*topic.Topic) error) func(*topic.Topic) (*topic.Topic, error) {
	return func(cur *topic.Topic) (*topic.Topic, error) {
		if cur == nil {
			return nil, errors.New("topic missing")
		}
		return cur, fn(cur)
	}
}

func mustUpdate(t *testing.T, repo command.TopicRepository, c command.Command, change func(*topic.Topic) (*topic.Topic, error)) {
	t.Helper()
	if err := repo.Update(context.Background(), c, change); err != nil {
		t.Fatalf("update %s: %v", c.Topic, err)
	}
}

func assertStatus(t *testing.T, repo command.TopicRepository, name string, want topic.Status) {
	t.Helper()
	got, err := repo.Get(context.Background(), topic.MustParseName(name))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status() != want {
		t.Fatalf("%s is %s, want %s", name, got.Status(), want)
	}
}

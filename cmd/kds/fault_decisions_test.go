package main_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
)

// decisionOutcome is what one admin's approve or reject came to.
type decisionOutcome struct {
	action string
	// won: the command was applied. Otherwise refused says it was refused
	// at once (409) and why says why, at once or as the command's outcome.
	won, refused bool
	why          string
}

// decideAndWait issues action on name as client and waits for the
// command's outcome.
func decideAndWait(ctx context.Context, client *apiclient.Client, name, action string) (decisionOutcome, error) {
	o := decisionOutcome{action: action}
	cmd, err := client.Decide(ctx, name, action, "two admins at once")
	var apiErr *apiclient.APIError
	if errors.As(err, &apiErr) && apiErr.Status == 409 {
		o.refused, o.why = true, apiErr.Message
		return o, nil
	}
	if err != nil {
		return o, err
	}
	settled, err := client.Command(ctx, cmd.ID, 30*time.Second)
	if err != nil {
		return o, err
	}
	switch settled.Status {
	case command.Applied:
		o.won = true
	case command.Rejected:
		o.why = settled.Error
	default:
		return o, fmt.Errorf("command %s on %s: %s %s", cmd.ID, name, settled.Status, settled.Error)
	}
	return o, nil
}

// TestTwoAdminsDecideTheSameTopicAtOnce has two admins, each with a token
// of their own, approve and reject the same pending topic at the same
// moment, for 100 topics. Exactly one of them wins each time; the other
// hears that the topic was already decided, either at once or as the
// outcome of their command; and every topic ends as its winner decided.
func TestTwoAdminsDecideTheSameTopicAtOnce(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{})
	second := d.createToken(t, "second-admin", "admin")
	approver, rejecter := apiClient(t, d.APIURL, d.AdminToken), apiClient(t, d.APIURL, second)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	names := topicNames("contested", 100)
	var driver commandDriver
	if err := driver.issue(ctx, approver, requests(names, func(int) int32 { return 1 })...); err != nil {
		t.Fatal(err)
	}
	if err := waitStatuses(ctx, approver, statusOf(topic.Pending, names)); err != nil {
		t.Fatal(err)
	}

	loser := regexp.MustCompile(`^cannot (approve|reject) topic "contested-\d{3}": it is already (approved|active|rejected) `)
	outcomes := make([][2]decisionOutcome, len(names))
	errs := make([][2]error, len(names))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			start := make(chan struct{})
			var both sync.WaitGroup
			for j, c := range []struct {
				client *apiclient.Client
				action string
			}{{approver, "approve"}, {rejecter, "reject"}} {
				both.Add(1)
				go func() {
					defer both.Done()
					<-start
					o, err := decideAndWait(ctx, c.client, name, c.action)
					outcomes[i][j], errs[i][j] = o, err
				}()
			}
			close(start)
			both.Wait()
		}()
	}
	wg.Wait()

	want := map[string]topic.Status{}
	var approvals, rejections, refusedAtOnce, refusedLater int
	for i, name := range names {
		if err := errors.Join(errs[i][:]...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		a, r := outcomes[i][0], outcomes[i][1]
		if a.won == r.won {
			t.Errorf("%s: approve won %v, reject won %v; want exactly one winner (%+v, %+v)", name, a.won, r.won, a, r)
			continue
		}
		win, lose := a, r
		want[name] = topic.Active
		approvals++
		if r.won {
			win, lose = r, a
			want[name] = topic.Rejected
			approvals--
			rejections++
		}
		if !loser.MatchString(lose.why) {
			t.Errorf("%s: %s won, and the %s was told %q, want that the topic was already decided", name, win.action, lose.action, lose.why)
		}
		if lose.refused {
			refusedAtOnce++
		} else {
			refusedLater++
		}
	}
	if err := waitStatuses(ctx, approver, want); err != nil {
		t.Fatal(err)
	}
	var active, gone []string
	for name, st := range want {
		if st == topic.Active {
			active = append(active, name)
		} else {
			gone = append(gone, name)
		}
	}
	activePartitions := map[string]int{}
	for _, n := range active {
		activePartitions[n] = 1
	}
	checkKafkaAgrees(t, kcat, d.KafkaAddrs, activePartitions, gone)
	// One decision each, by its winner.
	checkHistories(t, approver, names, func(n string) []topic.Action {
		if want[n] == topic.Active {
			return []topic.Action{topic.Request, topic.Approve, topic.Activate}
		}
		return []topic.Action{topic.Request, topic.Reject}
	})
	queued, err := approver.Commands(ctx, query.CommandFilter{Status: command.Queued})
	if err != nil || len(queued) != 0 {
		t.Errorf("%d commands still queued (%v)", len(queued), err)
	}
	t.Logf("100 contested topics: approve won %d times, reject %d times; the loser was refused at once (409) %d times and as its command's outcome %d times",
		approvals, rejections, refusedAtOnce, refusedLater)
}

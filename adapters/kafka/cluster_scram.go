package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// scramIterations is Kafka's minimum, and its tools' default; kfake
// announces 4096 to a logging-in client whatever a credential was made
// with (DESIGN.md §6, TestKfakeAnnouncesFixedScramIterations).
const scramIterations = 4096

// ScramUsers implements access.Kafka.
func (c *Cluster) ScramUsers(ctx context.Context) ([]string, error) {
	described, err := c.admin.DescribeUserSCRAMs(ctx)
	if err != nil {
		return nil, c.adminError(ctx, "describe SCRAM users", err)
	}
	users := make([]string, 0, len(described))
	for u := range described {
		users = append(users, u)
	}
	slices.Sort(users)
	return users, nil
}

// SetScram implements access.Kafka: AlterUserScramCredentials, upsert.
func (c *Cluster) SetScram(ctx context.Context, user, mechanism, password string) error {
	m, err := scramMechanism(mechanism)
	if err != nil {
		return err
	}
	altered, err := c.admin.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: user, Mechanism: m, Iterations: scramIterations, Password: password}})
	if err != nil {
		return c.adminError(ctx, "set SCRAM credentials", err)
	}
	return alteredError(altered)
}

// DeleteScram implements access.Kafka: every mechanism each user has.
func (c *Cluster) DeleteScram(ctx context.Context, users []string) error {
	described, err := c.admin.DescribeUserSCRAMs(ctx, users...)
	if err != nil {
		return c.adminError(ctx, "describe SCRAM users", err)
	}
	var del []kadm.DeleteSCRAM
	for _, d := range described {
		for _, ci := range d.CredInfos {
			del = append(del, kadm.DeleteSCRAM{User: d.User, Mechanism: ci.Mechanism})
		}
	}
	if len(del) == 0 {
		return nil
	}
	altered, err := c.admin.AlterUserSCRAMs(ctx, del, nil)
	if err != nil {
		return c.adminError(ctx, "delete SCRAM users", err)
	}
	return alteredError(altered)
}

func scramMechanism(name string) (kadm.ScramMechanism, error) {
	switch strings.ToUpper(name) {
	case "SCRAM-SHA-256":
		return kadm.ScramSha256, nil
	case "SCRAM-SHA-512":
		return kadm.ScramSha512, nil
	}
	return 0, fmt.Errorf("SCRAM mechanism %q: want SCRAM-SHA-256 or SCRAM-SHA-512", name)
}

func alteredError(altered kadm.AlteredUserSCRAMs) error {
	var errs []error
	for _, a := range altered.Sorted() {
		if a.Err != nil {
			errs = append(errs, fmt.Errorf("SCRAM user %s: %w%s", a.User, a.Err, brokerSays(&a.ErrMessage)))
		}
	}
	return errors.Join(errs...)
}

// adminError is a kadm request's error: the broker's refusal as it is, or
// an *UnreachableError when no broker answered.
func (c *Cluster) adminError(ctx context.Context, op string, err error) error {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return c.config.unreachable(ctx, err)
}

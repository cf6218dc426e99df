package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kds-io/kds/adapters/kafka"
)

// devState is the directory where kds dev keeps what its next start must
// find again: the embedded broker's data, and the secrets it made up (the
// admin token every terminal's export line holds, the key that signs its
// commands and events, a SASL password), each in a file of its own
// readable only by its owner. MySQL keeps its database as it is.
type devState struct {
	dir   string
	fresh bool
	// lock holds the directory for this process.
	lock *os.File
	// kept names what this start found from an earlier one.
	kept []string
}

// The files of a state directory.
const (
	devStateKafka        = "kafka"
	devStateAdminToken   = "admin-token"
	devStateMessageKey   = "message-key"
	devStateSASLPassword = "kafka-sasl-password"
	devStateLock         = "lock"
)

// defaultDevStateDir is $XDG_STATE_HOME/kds/dev, or ~/.local/state/kds/dev
// where XDG_STATE_HOME is not set, as the XDG base directories have it.
func defaultDevStateDir() (string, error) {
	if x := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "kds", "dev"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("kds dev keeps its state in ~/.local/state/kds/dev, but %w: set dev.state_dir (KDS_DEV_STATE_DIR) or --state-dir", err)
	}
	return filepath.Join(home, ".local", "state", "kds", "dev"), nil
}

// openDevState makes dir when it is missing and, when fresh, empties it.
func openDevState(dir string, fresh bool) (*devState, error) {
	if dir == "" {
		var err error
		if dir, err = defaultDevStateDir(); err != nil {
			return nil, err
		}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("state directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	lock, err := lockDevState(dir)
	if err != nil {
		return nil, err
	}
	if fresh {
		for _, name := range []string{devStateKafka, devStateAdminToken, devStateMessageKey, devStateSASLPassword} {
			if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
				lock.Close()
				return nil, fmt.Errorf("--fresh: empty the state directory: %w", err)
			}
		}
	}
	return &devState{dir: dir, fresh: fresh, lock: lock}, nil
}

// lockDevState takes the state directory for this kds dev alone, until
// the returned file is closed or the process ends: two brokers writing
// one data directory would corrupt it.
func lockDevState(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, devStateLock), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	taken, err := lockAlone(f)
	switch {
	case err != nil:
		f.Close()
		return nil, fmt.Errorf("state directory: lock %s: %w", f.Name(), err)
	case !taken:
		f.Close()
		return nil, fmt.Errorf("state directory %s is in use by another kds dev: stop that one, or give this one another --state-dir", dir)
	}
	return f, nil
}

// close lets another kds dev use the directory.
func (s *devState) close() error { return s.lock.Close() }

// kafkaDir is where the embedded broker keeps its data.
func (s *devState) kafkaDir() string { return filepath.Join(s.dir, devStateKafka) }

// secret is the secret kept in the file name, or a new one from newSecret,
// which it keeps there for the next start; what is kept is recorded as
// what.
func (s *devState) secret(name, what string, newSecret func() (string, error)) (string, error) {
	path := filepath.Join(s.dir, name)
	b, err := os.ReadFile(path)
	if err == nil {
		if kept := strings.TrimSpace(string(b)); kept != "" {
			s.kept = append(s.kept, what)
			return kept, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("state directory: %w", err)
	}
	secret, err := newSecret()
	if err != nil {
		return "", err
	}
	// Written whole or not at all: a half-written token would lock every
	// terminal out at the next start.
	tmp, err := os.CreateTemp(s.dir, name+".*")
	if err != nil {
		return "", fmt.Errorf("state directory: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(secret + "\n")
	if err = errors.Join(err, tmp.Sync(), tmp.Close()); err != nil {
		return "", fmt.Errorf("state directory: keep the %s: %w", what, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("state directory: keep the %s: %w", what, err)
	}
	return secret, nil
}

// countKafka records the topics and messages the embedded broker found in
// its data, leaving out kds's own topics and Kafka's.
func (s *devState) countKafka(ctx context.Context, c kafka.Config) error {
	cluster, err := kafka.NewCluster(c)
	if err != nil {
		return err
	}
	defer cluster.Close()
	topics, err := cluster.Topics(ctx)
	if err != nil {
		return err
	}
	var names []string
	for name := range topics {
		if !strings.HasPrefix(name, "kds.") && !strings.HasPrefix(name, "__") {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	offsets := kafka.NewOffsets(c)
	defer offsets.Close()
	produced, err := offsets.Produced(ctx, names)
	if err != nil {
		return err
	}
	var messages int64
	for _, n := range produced {
		messages += n
	}
	s.kept = append(s.kept, fmt.Sprintf("%s with %s in Kafka", quantity(len(names), "topic"), quantity(messages, "message")))
	return nil
}

// keptSummary says what this start found from an earlier one.
func (s *devState) keptSummary() string {
	switch {
	case len(s.kept) == 0 && s.fresh:
		return "nothing (--fresh)"
	case len(s.kept) == 0:
		return "nothing (a new state directory)"
	}
	if len(s.kept) == 1 {
		return s.kept[0]
	}
	return strings.Join(s.kept[:len(s.kept)-1], ", ") + " and " + s.kept[len(s.kept)-1]
}

package kafka

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
)

// InstanceClaim is a group instance id this process holds.
type InstanceClaim struct {
	id string
	// lock, for a claimed id, is the locked file that holds the claim.
	lock *os.File
}

// ID is the instance id.
func (c *InstanceClaim) ID() string { return c.id }

// maxInstanceSlots bounds how many processes on one host may take part in
// one group at once.
const maxInstanceSlots = 1024

// ClaimInstanceID claims for this process the lowest-numbered instance id
// of scope (a consumer group of a cluster) that no other running process
// on this host holds, and holds it until Release. The id is the host
// name, the user id and that number, so it is the same for a process
// started again after its predecessor died (the kernel releases a dead
// process's file locks at once) and different for processes that run at
// the same time, on this host or any other (DESIGN.md §6).
func ClaimInstanceID(scope string) (*InstanceClaim, error) {
	dir := filepath.Join(os.TempDir(), "kds-"+strconv.Itoa(os.Getuid()), "instances")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("claim an instance id for %s: %w", scope, err)
	}
	sum := sha256.Sum256([]byte(scope))
	prefix := filepath.Join(dir, hex.EncodeToString(sum[:12]))
	for slot := range maxInstanceSlots {
		lock, err := lockFile(fmt.Sprintf("%s.%d.lock", prefix, slot))
		if err != nil {
			return nil, fmt.Errorf("claim an instance id for %s: %w", scope, err)
		}
		if lock != nil {
			return &InstanceClaim{id: fmt.Sprintf("%s_u%d_%d", hostLabel(), os.Getuid(), slot), lock: lock}, nil
		}
	}
	return nil, fmt.Errorf("claim an instance id for %s: %d processes on this host hold one", scope, maxInstanceSlots)
}

// Release gives the id up: removes the lock file, then unlocks it.
func (c *InstanceClaim) Release() {
	if c.lock == nil {
		return
	}
	_ = os.Remove(c.lock.Name())
	_ = c.lock.Close()
	c.lock = nil
}

// notInInstanceIDs is what a group instance id may not contain.
var notInInstanceIDs = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

// hostLabel is the host name as an instance id may hold it.
func hostLabel() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	host = notInInstanceIDs.ReplaceAllString(host, "-")
	return host[:min(len(host), 200)]
}

//go:build !unix

package kafka

import (
	"errors"
	"os"
)

// lockFile needs file locks kds takes only on Unix; elsewhere static
// membership needs kafka.consumer_groups.instance_id.
func lockFile(string) (*os.File, error) {
	return nil, errors.New("instance ids are claimed on Unix only: set kafka.consumer_groups.instance_id, or turn static_membership off")
}

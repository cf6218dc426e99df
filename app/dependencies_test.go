package app_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestAppDependsOnNothingOutward keeps the application layer free of
// adapters, handlers, configuration and infrastructure clients.
func TestAppDependsOnNothingOutward(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-test=false", "github.com/kds-io/kds/app/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbiddenPrefixes := []string{
		"github.com/kds-io/kds/adapters", "github.com/kds-io/kds/handlers", "github.com/kds-io/kds/cmd",
		"github.com/spf13/", "github.com/IBM/sarama", "github.com/twmb/franz-go", "github.com/ThreeDotsLabs/",
		"github.com/go-sql-driver/mysql",
	}
	// database/sql/driver is allowed: it comes with uuid's Scan and Value.
	forbiddenPackages := []string{"database/sql", "net/http"}
	for _, dep := range strings.Fields(string(out)) {
		if slices.Contains(forbiddenPackages, dep) || slices.ContainsFunc(forbiddenPrefixes, func(p string) bool { return strings.HasPrefix(dep, p) }) {
			t.Errorf("app depends on %s", dep)
		}
	}
}

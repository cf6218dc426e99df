package app_test

import (
	"os/exec"
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
	forbidden := []string{
		"github.com/kds-io/kds/adapters", "github.com/kds-io/kds/handlers", "github.com/kds-io/kds/cmd",
		"github.com/spf13/", "github.com/IBM/sarama", "github.com/twmb/franz-go", "github.com/ThreeDotsLabs/",
		"github.com/go-sql-driver/mysql", "database/sql", "net/http",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			// database/sql/driver comes with uuid's Scan and Value methods.
			if dep == f || strings.HasPrefix(dep, f) && strings.HasSuffix(f, "/") || strings.HasPrefix(dep, f+"/") {
				t.Errorf("app depends on %s", dep)
			}
		}
	}
}

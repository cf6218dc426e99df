package adapters_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/kds-io/kds/"

// TestAdaptersImportNoOtherAdapter keeps every adapter to app and its own
// packages: one that needed another's types would change whenever the
// other did. Subpackages are part of their adapter (adapters/httpapi/live
// is httpapi), so the rule is about the directories under adapters/.
func TestAdaptersImportNoOtherAdapter(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-test=false", "-f", `{{.ImportPath}} {{join .Deps " "}}`, module+"adapters/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	adapters := 0
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		pkg, deps := fields[0], fields[1:]
		own, ok := adapterOf(pkg)
		if !ok {
			continue // the adapters package itself
		}
		adapters++
		for _, dep := range deps {
			if other, ok := adapterOf(dep); ok && other != own {
				t.Errorf("%s imports %s, another adapter", strings.TrimPrefix(pkg, module), strings.TrimPrefix(dep, module))
			}
			for _, outer := range []string{"handlers", "cmd"} {
				if dep == module+outer || strings.HasPrefix(dep, module+outer+"/") {
					t.Errorf("%s imports %s", strings.TrimPrefix(pkg, module), strings.TrimPrefix(dep, module))
				}
			}
		}
	}
	if adapters == 0 {
		t.Fatalf("go list found no adapter packages:\n%s", out)
	}
}

// adapterOf names the adapter pkg belongs to: the directory under
// adapters/ that holds it.
func adapterOf(pkg string) (string, bool) {
	rest, ok := strings.CutPrefix(pkg, module+"adapters/")
	if !ok {
		return "", false
	}
	name, _, _ := strings.Cut(rest, "/")
	return name, true
}

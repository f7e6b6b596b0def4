package web

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// A Go user builds the daemon with `go build` or `go install ...@version`, which see only the
// files committed with the source and never run npm: every vendored file must be committed
// (scripts/assets.sh --check, in `make test`, checks that they are the ones package-lock.json
// pins).
func TestVendoredFilesAreCommitted(t *testing.T) {
	names := vendored()
	if len(names) == 0 {
		t.Fatal("vendor.txt lists no files")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is needed to check what is committed: %v", err)
	}
	if out, err := exec.Command("git", "rev-parse", "--is-inside-work-tree").CombinedOutput(); err != nil {
		// a copy of the source without its history (a module zip): nothing to check against
		t.Skipf("not in a git work tree: %s", strings.TrimSpace(string(out)))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			if _, err := assets.ReadFile("static/" + name); err != nil {
				t.Errorf("static/%s is not embedded: %v", name, err)
			}
			cmd := exec.Command("git", "ls-files", "--error-unmatch", "static/"+name)
			if out, err := cmd.CombinedOutput(); err != nil {
				var exit *exec.ExitError
				if !errors.As(err, &exit) {
					t.Fatalf("running git: %v", err)
				}
				t.Errorf("api/web/static/%s is not committed, so `go install` builds pages without it: %s",
					name, strings.TrimSpace(string(out)))
			}
		})
	}
}

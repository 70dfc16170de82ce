package testrepo

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// SharedData returns ../shared/data (joined with rel) beside the module
// root, the real public data tests may read; it skips t when absent, as it
// is in a user's clone.
func SharedData(t testing.TB, rel ...string) string {
	t.Helper()
	_, here, _, ok := runtime.Caller(0)
	if !ok {
		t.Skip("cannot locate the module root")
	}
	p := filepath.Join(append([]string{filepath.Dir(here), "..", "..", "..", "shared", "data"}, rel...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data not present: %s", p)
	}
	return p
}

// RealBase builds the real openCenter gitops base (tags
// release-2025.3.0-rc1 and 2026.01, branch main) as a bare repository with
// the shared data's make-repo.sh, and returns its path; it skips t when the
// data or git is absent.
func RealBase(t testing.TB) string {
	t.Helper()
	script := filepath.Join(SharedData(t, "opencenter-gitops-base"), "make-repo.sh")
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := filepath.Join(t.TempDir(), "base.git")
	if out, err := exec.Command("bash", script, dir, "--bare").CombinedOutput(); err != nil {
		t.Fatalf("make-repo.sh: %v\n%s", err, out)
	}
	return dir
}

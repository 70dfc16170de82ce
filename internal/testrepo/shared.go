package testrepo

import (
	"testing/fstest"

	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
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

// MapFS returns the repository files of an archive (all but the "@TAG/"
// snapshots) as an in-memory filesystem.
func MapFS(a *txtar.Archive) fstest.MapFS {
	m := fstest.MapFS{}
	for p, data := range RepoFiles(a) {
		m[p] = &fstest.MapFile{Data: data, Mode: 0o644}
	}
	return m
}

// BareRepo builds snaps into a bare repository in a temporary folder of t
// and returns its path.
func BareRepo(t testing.TB, snaps []Snapshot) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "base.git")
	if err := Build(dir, snaps); err != nil {
		t.Fatal(err)
	}
	return dir
}

// GenLarge writes the repositories ../shared/bench/gen-large makes for
// clusters x services (with the Flux CRDs of the shared data) into a
// temporary folder of t and returns it: OUT/base and OUT/customer. It
// skips t when the shared folder or python3 is absent.
func GenLarge(t testing.TB, clusters, services int) string {
	t.Helper()
	crds := SharedData(t, "flux-crds")
	gen := filepath.Join(filepath.Dir(crds), "..", "bench", "gen-large")
	if _, err := os.Stat(gen); err != nil {
		t.Skipf("gen-large not present: %s", gen)
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	out := filepath.Join(t.TempDir(), "gen")
	if msg, err := exec.Command("python3", gen, out, "--clusters", strconv.Itoa(clusters), "--services", strconv.Itoa(services), "--crd-dir", crds).CombinedOutput(); err != nil {
		t.Fatalf("gen-large: %v\n%s", err, msg)
	}
	return out
}

// GenLargeBaseURL is the URL under which gen-large's customer repository
// pins the base.
const GenLargeBaseURL = "ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git"

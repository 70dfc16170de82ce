package lsp

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// editorRun is what an end-to-end test with a real editor needs: the
// server binary built from this tree, a copy of the demo repository, the
// base mirror, and the files the editor script reports through.
type editorRun struct {
	bin, root, url, mirror, result, log, tmp string
}

// newEditorRun builds gitops-lsp and copies the demo; it skips in -short.
func newEditorRun(t *testing.T) *editorRun {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and starts an editor")
	}
	e := &editorRun{tmp: t.TempDir()}
	e.bin = filepath.Join(e.tmp, "gitops-lsp")
	if out, err := exec.Command("go", "build", "-o", e.bin, "../../cmd/gitops-lsp").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	var init map[string]any
	e.root, init = copyDemo(t)
	for u, m := range init["mirrors"].(map[string]string) {
		e.url, e.mirror = u, m
	}
	e.result = filepath.Join(e.tmp, "result")
	e.log = filepath.Join(e.tmp, "lsp.log")
	return e
}

// env is the editor's environment: where the script finds everything,
// and caches and settings kept inside the test's folder.
func (e *editorRun) env() []string {
	return append(os.Environ(),
		"GITOPS_ROOT="+e.root, "GITOPS_LSP="+e.bin, "GITOPS_LOG="+e.log, "GITOPS_RESULT="+e.result,
		"GITOPS_BASE_URL="+e.url, "GITOPS_MIRROR="+e.mirror, "HOME="+e.tmp,
		"XDG_CACHE_HOME="+filepath.Join(e.tmp, "cache"), "XDG_STATE_HOME="+filepath.Join(e.tmp, "state"),
		"XDG_DATA_HOME="+filepath.Join(e.tmp, "data"), "XDG_CONFIG_HOME="+filepath.Join(e.tmp, "config"))
}

package lsp

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEmacsEglot drives the server from Emacs with eglot in batch mode: the
// diagnostic arrives, its quick fix is applied through the editor's own
// workspace-edit code and saved, and the diagnostic goes away. It skips
// when emacs or its eglot and yaml-mode packages are not installed.
func TestEmacsEglot(t *testing.T) {
	emacs, err := exec.LookPath("emacs")
	if err != nil {
		t.Skip("emacs not installed")
	}
	probe := exec.Command(emacs, "--batch", "--eval", "(progn (require 'package) (package-initialize) (require 'eglot) (require 'yaml-mode))")
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("emacs without eglot or yaml-mode (Debian: elpa-eglot elpa-yaml-mode): %v\n%s", err, out)
	}
	e := newEditorRun(t)
	script, _ := filepath.Abs(filepath.Join("testdata", "emacs-fix.el"))
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, emacs, "--batch", "-l", script)
	cmd.Dir = e.root
	cmd.Env = e.env()
	out, err := cmd.CombinedOutput()
	res, _ := os.ReadFile(e.result)
	logData, _ := os.ReadFile(e.log)
	if err != nil || !strings.Contains(string(res), "fixed") {
		t.Fatalf("emacs: %v\noutput: %s\nresult:\n%s\nserver log:\n%s", err, out, res, logData)
	}
	if !strings.Contains(string(res), "action Rename to envoy-gateway-api-values-override") {
		t.Errorf("result:\n%s", res)
	}
	k, _ := os.ReadFile(filepath.Join(e.root, "applications/overlays/staging-cluster/services/gateway-api/kustomization.yaml"))
	if !strings.Contains(string(k), "envoy-gateway-api-values-override") {
		t.Errorf("the fix was not saved:\n%s", k)
	}
}

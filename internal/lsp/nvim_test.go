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

// TestNeovim drives the server from a real editor: headless Neovim opens a
// fixture copy, receives the diagnostics, applies the promote action, and
// the promoted files appear on disk. It skips when nvim is not installed.
func TestNeovim(t *testing.T) {
	nvim, err := exec.LookPath("nvim")
	if err != nil {
		t.Skip("nvim not installed")
	}
	e := newEditorRun(t)
	root := e.root
	addHello(t, root)
	script, _ := filepath.Abs(filepath.Join("testdata", "nvim-promote.lua"))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "timeout", "170", nvim, "--headless", "-n", "-i", "NONE", "-u", "NONE", "-c", "luafile "+script)
	cmd.Dir = root
	cmd.Env = e.env()
	out, err := cmd.CombinedOutput()
	res, _ := os.ReadFile(e.result)
	logData, _ := os.ReadFile(e.log)
	if err != nil || !strings.Contains(string(res), "applied") {
		t.Fatalf("nvim: %v\noutput: %s\nresult:\n%s\nserver log:\n%s", err, out, res, logData)
	}
	if !strings.Contains(string(res), "action Promote hello to staging-cluster") {
		t.Errorf("result:\n%s", res)
	}
	for _, p := range []string{"services/hello/configmap.yaml", "services/hello/kustomization.yaml", "services/fluxcd/hello.yaml"} {
		data, err := os.ReadFile(filepath.Join(root, "applications/overlays/staging-cluster", p))
		if err != nil || len(data) == 0 {
			t.Errorf("%s not written by the editor: %v", p, err)
		}
	}
	k, _ := os.ReadFile(filepath.Join(root, "applications/overlays/staging-cluster/services/fluxcd/kustomization.yaml"))
	if !strings.HasSuffix(string(k), "  - ./hello.yaml\n") || strings.Contains(string(k), "\n\n") {
		t.Errorf("staging fluxcd/kustomization.yaml does not list the service:\n%s", k)
	}
	want, _ := os.ReadFile(filepath.Join(root, "applications/overlays/dev-cluster/services/hello/configmap.yaml"))
	got, _ := os.ReadFile(filepath.Join(root, "applications/overlays/staging-cluster/services/hello/configmap.yaml"))
	if string(got) != string(want) {
		t.Errorf("promoted configmap.yaml:\n%s\nwant:\n%s", got, want)
	}
}

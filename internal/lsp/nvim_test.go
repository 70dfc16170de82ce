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
	if testing.Short() {
		t.Skip("builds the binary and starts an editor")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "gitops-lsp")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/gitops-lsp").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	root, init := copyDemo(t)
	addHello(t, root)
	var url, mirror string
	for u, m := range init["mirrors"].(map[string]string) {
		url, mirror = u, m
	}
	script, _ := filepath.Abs(filepath.Join("testdata", "nvim-promote.lua"))
	result := filepath.Join(tmp, "result")
	logFile := filepath.Join(tmp, "lsp.log")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "timeout", "170", nvim, "--headless", "-n", "-i", "NONE", "-u", "NONE", "-c", "luafile "+script)
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"GITOPS_ROOT="+root, "GITOPS_LSP="+bin, "GITOPS_LOG="+logFile, "GITOPS_RESULT="+result,
		"GITOPS_BASE_URL="+url, "GITOPS_MIRROR="+mirror,
		"XDG_CACHE_HOME="+filepath.Join(tmp, "cache"), "XDG_STATE_HOME="+filepath.Join(tmp, "state"),
		"XDG_DATA_HOME="+filepath.Join(tmp, "data"), "XDG_CONFIG_HOME="+filepath.Join(tmp, "config"))
	out, err := cmd.CombinedOutput()
	res, _ := os.ReadFile(result)
	logData, _ := os.ReadFile(logFile)
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

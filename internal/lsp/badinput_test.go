package lsp

import (
	"encoding/json"
	"github.com/opencenter-cloud/gitops-hook/internal/gittest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWatcherSeesChangesOnDisk(t *testing.T) {
	root, init := copyDemo(t)
	c := startServer(t, Options{Watch: true})
	c.initialize(root, init)
	c.waitDiags("applications/overlays/staging-cluster/services/cert-manager/ca-secret.yaml", "secret/unencrypted", hasRule("secret/unencrypted"))
	// A change made outside the editor, to a file that is not open.
	p := filepath.Join(root, filepath.FromSlash(certKS))
	data, _ := os.ReadFile(p)
	broken := strings.Replace(string(data), "path: applications/base/services/cert-manager", "path: applications/base/services/nowhere", 1)
	if err := os.WriteFile(p, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	c.waitDiags(certKS, "flux/path-not-found", hasRule("flux/path-not-found"))
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	c.waitDiags(certKS, "[]", empty)
}

// A folder moved away and back on disk (a checkout of another branch):
// what the server keeps of the disk must follow, the folder's files and
// its parent's listing included.
func TestWatcherSeesFoldersMoved(t *testing.T) {
	root, init := copyDemo(t)
	c := startServer(t, Options{Watch: true})
	c.initialize(root, init)
	c.waitDiags("applications/overlays/staging-cluster/services/cert-manager/ca-secret.yaml", "secret/unencrypted", hasRule("secret/unencrypted"))
	dir := filepath.Join(root, "applications", "overlays", "dev-cluster", "services", "cert-manager")
	if err := os.Rename(dir, dir+".moved"); err != nil {
		t.Fatal(err)
	}
	c.waitDiags(certKS, "flux/path-not-found", hasRule("flux/path-not-found"))
	if err := os.Rename(dir+".moved", dir); err != nil {
		t.Fatal(err)
	}
	c.waitDiags(certKS, "[]", empty)
	// And a file changed inside the folder that came back, which the
	// watcher only follows once it has added the folder again.
	ks := filepath.Join(dir, "kustomization.yaml")
	data, err := os.ReadFile(ks)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), "  - ./cluster-issuer.yaml\n", "  - ./cluster-issuer.yaml\n  - ./nowhere.yaml\n", 1)
	if err := os.WriteFile(ks, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	c.waitDiags("applications/overlays/dev-cluster/services/cert-manager/kustomization.yaml", "kustomize/missing-file", hasRule("kustomize/missing-file"))
}

// A generator's input that is not YAML, removed and restored on disk, is
// analysed again.
func TestWatcherSeesGeneratorInputs(t *testing.T) {
	root, init := copyDemo(t)
	dir := filepath.Join(root, "applications", "overlays", "dev-cluster", "services", "cert-manager")
	ks := filepath.Join(dir, "kustomization.yaml")
	data, err := os.ReadFile(ks)
	if err != nil {
		t.Fatal(err)
	}
	withGen := string(data) + "configMapGenerator:\n  - name: issuer-settings\n    envs:\n      - issuer.env\n"
	props := filepath.Join(dir, "issuer.env")
	if err := os.WriteFile(ks, []byte(withGen), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(props, []byte("EMAIL=ops@example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := startServer(t, Options{Watch: true})
	c.initialize(root, init)
	c.waitDiags("applications/overlays/staging-cluster/services/cert-manager/ca-secret.yaml", "secret/unencrypted", hasRule("secret/unencrypted"))
	const kfile = "applications/overlays/dev-cluster/services/cert-manager/kustomization.yaml"
	if err := os.Remove(props); err != nil {
		t.Fatal(err)
	}
	c.waitDiags(kfile, "kustomize/missing-file", hasRule("kustomize/missing-file"))
	if err := os.WriteFile(props, []byte("EMAIL=ops@example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.waitDiags(kfile, "[]", empty)
}

// A git checkout of another branch and back, made in a terminal: files
// rewritten, a folder removed and created again.
func TestWatcherFollowsGitCheckout(t *testing.T) {
	gittest.Require(t)
	root, init := copyDemo(t)
	gittest.Git(t, root, "init", "-q", "-b", "main")
	gittest.Git(t, root, "add", "-A")
	gittest.Git(t, root, "commit", "-q", "-m", "demo")
	gittest.Git(t, root, "checkout", "-q", "-b", "broken")
	ks := filepath.Join(root, filepath.FromSlash(certKS))
	data, err := os.ReadFile(ks)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(data), "path: applications/base/services/cert-manager", "path: applications/base/services/nowhere", 1)
	if err := os.WriteFile(ks, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, root, "rm", "-r", "-q", "applications/overlays/staging-cluster/services/cert-manager")
	gittest.Git(t, root, "commit", "-q", "-a", "-m", "broken")
	gittest.Git(t, root, "checkout", "-q", "main")

	c := startServer(t, Options{Watch: true})
	c.initialize(root, init)
	const secret = "applications/overlays/staging-cluster/services/cert-manager/ca-secret.yaml"
	c.waitDiags(secret, "secret/unencrypted", hasRule("secret/unencrypted"))
	gittest.Git(t, root, "checkout", "-q", "broken")
	c.waitDiags(certKS, "flux/path-not-found", hasRule("flux/path-not-found"))
	c.waitDiags(secret, "[] (the folder is gone)", empty)
	gittest.Git(t, root, "checkout", "-q", "main")
	c.waitDiags(certKS, "[]", empty)
	c.waitDiags(secret, "secret/unencrypted", hasRule("secret/unencrypted"))
}

func TestWatcherIgnores(t *testing.T) {
	for p, want := range map[string]bool{
		".git/index":                true,
		".git/refs/heads/main":      true,
		"a/node_modules/x/y.yaml":   true,
		"README.md":                 true,
		"a/.kustomization.yaml.swp": true,
		"a/kustomization.yaml~":     true,
		"a/kustomization.yaml":      false,
		"a/b.yml":                   false,
		"applications/overlays/dev": false,
		"a/Kustomization":           false,
		"applications/.gitops.yaml": false,
	} {
		if got := ignoredPath(p); got != want {
			t.Errorf("ignoredPath(%s) = %v, want %v", p, got, want)
		}
	}
}

func TestMalformedMessagesKeepTheServerRunning(t *testing.T) {
	root, init := copyDemo(t)
	c := startServer(t, Options{})
	c.initialize(root, init)
	c.sendRaw([]byte(`{"jsonrpc": "2.0", "id": 99, "method": `))
	c.sendRaw([]byte(`[1, 2, 3]`))
	c.sendRaw([]byte{0xff, 0xfe, 0x00})
	c.sendRaw([]byte(`{"jsonrpc":"2.0","id":98,"method":"textDocument/hover","params":"not an object"}`))
	// Unknown method: MethodNotFound; unknown notification: ignored.
	c.notify("$/unknownNotification", map[string]any{})
	err := c.request("gitops/doesNotExist", map[string]any{}, nil)
	if e, ok := err.(*rpcErr); !ok || e.Code != -32601 {
		t.Errorf("unknown method: %v", err)
	}
	// Still answering.
	var syms []any
	if err := c.request("textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": c.uri(certKS)}}, &syms); err != nil {
		t.Errorf("after malformed input: %v", err)
	}
}

func TestRequestsOnUnopenedAndOutOfRange(t *testing.T) {
	c := navClient(t)
	missing := "applications/overlays/dev-cluster/nope.yaml"
	var h any
	c.at("textDocument/hover", missing, 0, 0, nil, &h)
	c.at("textDocument/definition", missing, 0, 0, nil, &h)
	c.at("textDocument/hover", certKS, 9999, 9999, nil, &h)
	if h != nil {
		t.Errorf("hover out of range = %v", h)
	}
	var items []any
	c.at("textDocument/completion", certKS, 9999, 3, nil, &items)
	as := c.codeActions(missing, lspRange{lspPos{1000, 0}, lspPos{2000, 5}}, nil)
	if len(as) != 0 {
		t.Errorf("code actions for an unknown file: %+v", as)
	}
	// A change of a document that is not open is logged and ignored.
	c.notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": c.uri(missing), "version": 3},
		"contentChanges": []any{map[string]any{"range": lspRange{lspPos{5, 0}, lspPos{6, 0}}, "text": "x"}},
	})
	// Out-of-range edits of an open document are clamped.
	c.open(certKS)
	c.notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": c.uri(certKS), "version": 2},
		"contentChanges": []any{map[string]any{"range": lspRange{lspPos{500, 0}, lspPos{600, 9}}, "text": "# tail ü😀\n"}},
	})
	var syms []struct{ Name string }
	c.at("textDocument/documentSymbol", certKS, 0, 0, nil, &syms)
	if len(syms) != 2 {
		t.Errorf("symbols after clamped edit: %+v", syms)
	}
	if err := c.request("workspace/executeCommand", map[string]any{"command": "gitops.promote", "arguments": []any{"not an object"}}, nil); err == nil {
		t.Error("gitops.promote with a bad argument succeeded")
	}
}

func TestHugeDocument(t *testing.T) {
	c := navClient(t)
	const big = "applications/overlays/dev-cluster/big.yaml"
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n")
	for b.Len() < 20<<20 {
		b.WriteString("  k: \"ééééééééééééééééééééééééééééééééééééééééééééééééééééééé\"\n")
	}
	text := b.String()
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": c.uri(big), "languageId": "yaml", "version": 1, "text": text}})
	ds := c.waitDiags(big, "repo/file-too-large", hasRule("repo/file-too-large"))
	if len(ds) != 1 {
		t.Errorf("20 MB file: %+v", ds)
	}
	var syms []any
	c.at("textDocument/documentSymbol", big, 0, 0, nil, &syms)
}

func TestNonGitOpsWorkspaceStaysQuiet(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# a library\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("name: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := startServer(t, Options{})
	c.initialize(dir, nil)
	c.open("config.yaml")
	c.replace("config.yaml", "name: x", "name: y")
	err := c.request("workspace/executeCommand", map[string]any{"command": "gitops.services", "arguments": []any{}}, nil)
	if err == nil || !strings.Contains(err.Error(), "no GitOps repository") {
		t.Errorf("gitops.services in a non-GitOps folder: %v", err)
	}
	if err := c.request("shutdown", nil, nil); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.diags) != 0 {
		t.Errorf("published in a non-GitOps folder: %+v", c.diags)
	}
	for _, n := range c.notes {
		if n.Method == "gitops/status" || n.Method == "$/progress" {
			t.Errorf("not quiet: %s %s", n.Method, n.Params)
		}
	}
}

func TestSeveralFoldersAndDeletedFolder(t *testing.T) {
	other := t.TempDir()
	root, init := copyDemo(t)
	c := startServer(t, Options{})
	var res map[string]any
	if err := c.request("initialize", map[string]any{
		"rootUri": pathURI(other),
		"workspaceFolders": []any{
			map[string]any{"uri": pathURI(other), "name": "other"},
			map[string]any{"uri": pathURI(root), "name": "demo"},
		},
		"capabilities":          map[string]any{},
		"initializationOptions": init,
	}, &res); err != nil {
		t.Fatal(err)
	}
	c.notify("initialized", map[string]any{})
	c.root = root
	c.waitDiags("applications/overlays/staging-cluster/services/cert-manager/ca-secret.yaml", "secret/unencrypted", hasRule("secret/unencrypted"))
	// The folder goes away while open: reported, and the server answers.
	c.open(certKS)
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	c.replace(certKS, "interval: 15m", "interval: 10m")
	c.waitNote("gitops/status", func(p json.RawMessage) bool { return strings.Contains(string(p), `"error"`) })
	var syms []any
	c.at("textDocument/documentSymbol", certKS, 0, 0, nil, &syms)
	if len(syms) != 2 {
		t.Errorf("symbols after the folder went away: %v", syms)
	}
}

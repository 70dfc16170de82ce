package lsp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestQuickFixAppliedAndReanalysed(t *testing.T) {
	root, init := copyDemo(t)
	c := startServer(t, Options{})
	c.initialize(root, init)
	c.open(certKS)
	c.replace(certKS, "path: applications/base/services/cert-manager", "path: applications/base/services/cert-managr")
	ds := c.waitDiags(certKS, "flux/path-not-found", hasRule("flux/path-not-found"))
	d := findRule(ds, "flux/path-not-found")
	as := c.codeActions(certKS, d.Range, []lspDiag{d})
	a := actionNamed(as, "Use applications/base/services/cert-manager")
	if a == nil || a.Kind != "quickfix" || a.Edit == nil {
		t.Fatalf("no quick fix for the path: %+v", as)
	}
	c.applyEdit(a.Edit)
	c.waitDiags(certKS, "[]", empty)
	if got := c.texts[certKS]; !strings.Contains(got, "path: applications/base/services/cert-manager\n") {
		t.Errorf("buffer after the fix:\n%s", got)
	}
}

func TestPinAndUpgradeActions(t *testing.T) {
	root, init := copyDemo(t)
	c := startServer(t, Options{})
	c.initialize(root, init)
	const src = "applications/overlays/dev-cluster/services/sources/opencenter-cert-manager.yaml"
	c.open(src)
	// Wait for the first analysis: staging has findings.
	c.waitDiags("applications/overlays/staging-cluster/services/cert-manager/ca-secret.yaml", "secret/unencrypted", hasRule("secret/unencrypted"))
	tagLine := lspRange{lspPos{9, 10}, lspPos{9, 10}}
	as := c.codeActions(src, tagLine, nil)
	a := actionNamed(as, "Pin previous tag (2026.01)")
	if a == nil || a.Kind != "refactor.rewrite" || a.Edit == nil || a.Disabled != nil {
		t.Fatalf("no pin action on ref.tag: %+v", as)
	}
	if actionNamed(as, "Upgrade to") != nil {
		t.Errorf("upgrade offered on the newest tag: %+v", as)
	}
	c.applyEdit(a.Edit)
	ds := c.waitDiags(src, "tag/update-available", hasRule("tag/update-available"))
	if !strings.Contains(c.texts[src], `tag: "2026.01"`) {
		t.Fatalf("buffer after pin:\n%s", c.texts[src])
	}
	d := findRule(ds, "tag/update-available")
	as = c.codeActions(src, d.Range, []lspDiag{d})
	up := actionNamed(as, "Upgrade to 2026.02")
	if up == nil || up.Edit == nil {
		t.Fatalf("no upgrade action: %+v", as)
	}
	c.applyEdit(up.Edit)
	c.waitDiags(src, "[]", empty)
}

func TestPromoteActionCreatesFiles(t *testing.T) {
	root, init := copyDemo(t)
	addHello(t, root)
	c := startServer(t, Options{})
	c.initialize(root, init)
	const ks = "applications/overlays/dev-cluster/services/fluxcd/hello.yaml"
	c.open(ks)
	c.waitDiags("applications/overlays/staging-cluster/services/cert-manager/ca-secret.yaml", "secret/unencrypted", hasRule("secret/unencrypted"))
	as := c.codeActions(ks, lspRange{}, nil)
	a := actionNamed(as, "Promote hello to staging-cluster")
	if a == nil || a.Kind != "refactor.rewrite" || a.Disabled != nil || a.Edit == nil {
		t.Fatalf("no promote action: %+v", as)
	}
	if !strings.Contains(string(a.Edit), `"kind":"create"`) {
		t.Errorf("the promotion creates no file: %s", a.Edit)
	}
	c.applyEdit(a.Edit)
	for _, p := range []string{"services/hello/configmap.yaml", "services/hello/kustomization.yaml", "services/fluxcd/hello.yaml"} {
		data, err := os.ReadFile(filepath.Join(root, "applications/overlays/staging-cluster", p))
		if err != nil || len(data) == 0 {
			t.Errorf("%s not created: %v", p, err)
		}
	}
	// Re-analysed: the promoted service is the same in both environments.
	var m struct {
		Services []struct {
			Service string
			Cells   []matrixCell
		}
	}
	for {
		c.waitNote("gitops/status", func(json.RawMessage) bool { return true })
		if err := c.request("workspace/executeCommand", map[string]any{"command": "gitops.matrix", "arguments": []any{}}, &m); err != nil {
			t.Fatal(err)
		}
		same := false
		for _, s := range m.Services {
			if s.Service == "hello" && len(s.Cells) > 1 && s.Cells[1].Present && s.Cells[1].Same {
				same = true
			}
		}
		if same {
			break
		}
		c.mu.Lock()
		c.notes = nil
		c.mu.Unlock()
	}
}

func TestPromoteRefusedWhenItAddsErrors(t *testing.T) {
	root, init := copyDemo(t)
	c := startServer(t, Options{})
	c.initialize(root, init)
	const ks = "applications/overlays/staging-cluster/services/fluxcd/cert-manager.yaml"
	c.open(ks)
	c.waitDiags("applications/overlays/staging-cluster/services/cert-manager/ca-secret.yaml", "secret/unencrypted", hasRule("secret/unencrypted"))
	as := c.codeActions(ks, lspRange{}, nil)
	a := actionNamed(as, "Promote cert-manager to prod-cluster")
	if a == nil || a.Disabled == nil || !strings.Contains(a.Disabled.Reason, "secret/unencrypted") || a.Edit != nil {
		t.Fatalf("promotion adding an error not refused: %+v", a)
	}
	err := c.request("workspace/executeCommand", map[string]any{"command": "gitops.promote",
		"arguments": []any{map[string]any{"service": "cert-manager", "from": "staging-cluster", "to": "prod-cluster"}}}, nil)
	if err == nil || !strings.Contains(err.Error(), "secret/unencrypted") {
		t.Errorf("gitops.promote: %v, want the refusal with the new error", err)
	}
	if _, err := os.Stat(filepath.Join(root, "applications/overlays/prod-cluster/services/cert-manager/ca-secret.yaml")); err == nil {
		t.Error("the refused promotion was written")
	}
}

func TestCommands(t *testing.T) {
	root, init := copyDemo(t)
	addHello(t, root)
	c := startServer(t, Options{})
	res := c.initialize(root, init)
	caps, _ := json.Marshal(res["capabilities"])
	for _, cmd := range commands {
		if !strings.Contains(string(caps), `"`+cmd+`"`) {
			t.Errorf("%s not advertised: %s", cmd, caps)
		}
	}
	c.waitDiags("applications/overlays/staging-cluster/services/cert-manager/ca-secret.yaml", "secret/unencrypted", hasRule("secret/unencrypted"))

	var svcs struct {
		Environments []string `json:"environments"`
		Services     []string `json:"services"`
	}
	if err := c.request("workspace/executeCommand", map[string]any{"command": "gitops.services", "arguments": []any{}}, &svcs); err != nil {
		t.Fatal(err)
	}
	if strings.Join(svcs.Environments, ",") != "dev-cluster,staging-cluster,prod-cluster" || strings.Join(svcs.Services, ",") != "cert-manager,gateway-api,hello,kube-prometheus-stack" {
		t.Errorf("gitops.services = %+v", svcs)
	}
	var srcs []sourceInfo
	if err := c.request("workspace/executeCommand", map[string]any{"command": "gitops.sources", "arguments": []any{}}, &srcs); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range srcs {
		if s.Name == "opencenter-cert-manager" && s.Cluster == "dev-cluster" && s.Tag == "2026.02" && strings.HasSuffix(s.URL, "openCenter-gitops-base.git") {
			found = true
		}
	}
	if !found {
		t.Errorf("gitops.sources = %+v", srcs)
	}
	var m struct {
		Environments []string `json:"environments"`
		Services     []struct {
			Service string       `json:"service"`
			Cells   []matrixCell `json:"cells"`
		} `json:"services"`
	}
	if err := c.request("workspace/executeCommand", map[string]any{"command": "gitops.matrix", "arguments": []any{}}, &m); err != nil {
		t.Fatal(err)
	}
	for _, s := range m.Services {
		if s.Service == "cert-manager" {
			if len(s.Cells) != 3 || !s.Cells[0].Present || s.Cells[0].Tag != "2026.02" || s.Cells[1].Differ != 2 || s.Cells[1].Same {
				t.Errorf("cert-manager row: %+v", s)
			}
		}
	}

	var out struct {
		Applied bool     `json:"applied"`
		Files   []string `json:"files"`
	}
	if err := c.request("workspace/executeCommand", map[string]any{"command": "gitops.promote",
		"arguments": []any{map[string]any{"service": "hello", "from": "dev-cluster", "to": "staging-cluster"}}}, &out); err != nil {
		t.Fatal(err)
	}
	if !out.Applied || len(out.Files) != 4 {
		t.Errorf("gitops.promote = %+v", out)
	}
	if _, err := os.Stat(filepath.Join(root, "applications/overlays/staging-cluster/services/hello/configmap.yaml")); err != nil {
		t.Errorf("promotion not applied: %v", err)
	}

	if err := c.request("workspace/executeCommand", map[string]any{"command": "gitops.promote", "arguments": []any{map[string]any{"service": "nope", "from": "dev-cluster", "to": "staging-cluster"}}}, nil); err == nil || !strings.Contains(err.Error(), "unknown service") {
		t.Errorf("unknown service: %v", err)
	}
	if err := c.request("workspace/executeCommand", map[string]any{"command": "gitops.nothing", "arguments": []any{}}, nil); err == nil {
		t.Error("unknown command answered without error")
	}
	if err := c.request("workspace/executeCommand", map[string]any{"command": "gitops.pin", "arguments": []any{map[string]any{"source": "opencenter-cert-manager", "cluster": "dev-cluster", "to": "previous"}}}, &out); err != nil || !out.Applied {
		t.Errorf("gitops.pin: %+v %v", out, err)
	}
	data, _ := os.ReadFile(filepath.Join(root, "applications/overlays/dev-cluster/services/sources/opencenter-cert-manager.yaml"))
	if !strings.Contains(string(data), `tag: "2026.01"`) {
		t.Errorf("pin not applied:\n%s", data)
	}
}

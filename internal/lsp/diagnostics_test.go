package lsp

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const certKS = "applications/overlays/dev-cluster/services/fluxcd/cert-manager.yaml"

func TestDiagnosticsBreakAndFix(t *testing.T) {
	root, init := copyDemo(t)
	c := startServer(t, Options{})
	c.initialize(root, init)
	// Every file with findings is published, open or not.
	secret := c.waitDiags("applications/overlays/staging-cluster/services/cert-manager/ca-secret.yaml", "secret/unencrypted", hasRule("secret/unencrypted"))
	d := findRule(secret, "secret/unencrypted")
	if d.Source != "gitops" || d.Severity != 1 || d.CodeDescription == nil || !strings.HasSuffix(d.CodeDescription.Href, "docs/rules.md#secretunencrypted") {
		t.Errorf("diagnostic shape: %+v", d)
	}
	var data diagData
	if err := json.Unmarshal(d.Data, &data); err != nil || data.Rule != "secret/unencrypted" || data.Fixes == nil {
		t.Errorf("data = %s (%v)", d.Data, err)
	}

	c.open(certKS)
	c.replace(certKS, "path: applications/base/services/cert-manager", "path: applications/base/services/cert-managr")
	ds := c.waitDiags(certKS, "flux/path-not-found", hasRule("flux/path-not-found"))
	d = findRule(ds, "flux/path-not-found")
	// Line 13, column 9 in the engine: the value of spec.path.
	if d.Range.Start != (lspPos{12, 8}) || d.Range.End.Line != 12 || d.Range.End.Character != 8+len("applications/base/services/cert-managr") {
		t.Errorf("range = %+v", d.Range)
	}
	if err := json.Unmarshal(d.Data, &data); err != nil || len(data.Fixes) == 0 {
		t.Errorf("path-not-found carries no fix: %s", d.Data)
	}
	c.replace(certKS, "cert-managr", "cert-manager")
	c.waitDiags(certKS, "[]", empty)
	// Three analyses later, the file whose findings never changed was
	// sent once.
	c.mu.Lock()
	n := c.diags[c.uri("applications/overlays/staging-cluster/services/cert-manager/ca-secret.yaml")].Count
	c.mu.Unlock()
	if n != 1 {
		t.Errorf("ca-secret.yaml, unchanged, was published %d times, want once", n)
	}
}

func TestDiagnosticsCrossFile(t *testing.T) {
	root, init := copyDemo(t)
	c := startServer(t, Options{})
	c.initialize(root, init)
	const src = "applications/overlays/dev-cluster/services/sources/opencenter-cert-manager.yaml"
	c.open(src)
	c.replace(src, "name: opencenter-cert-manager", "name: opencenter-cert-mgr")
	// The Kustomization that references the source, in a file not open,
	// lights up.
	c.waitDiags(certKS, "flux/source-not-found", hasRule("flux/source-not-found"))
	c.replace(src, "name: opencenter-cert-mgr", "name: opencenter-cert-manager")
	c.waitDiags(certKS, "[]", empty)
}

func TestShutdownExit(t *testing.T) {
	root, init := copyDemo(t)
	c := startServer(t, Options{})
	c.initialize(root, init)
	if err := c.request("shutdown", nil, nil); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	c.notify("exit", nil)
	if err := <-c.served; err != nil {
		t.Errorf("Serve after shutdown and exit: %v", err)
	}
	c.served <- nil // for the cleanup
}

func TestProgressAndStatus(t *testing.T) {
	root, init := copyDemo(t)
	c := startServer(t, Options{})
	c.initialize(root, init)
	c.waitNote("$/progress", func(p json.RawMessage) bool {
		return strings.Contains(string(p), `"kind":"begin"`) && strings.Contains(string(p), `"title":"gitops: analysing"`)
	})
	c.waitNote("$/progress", func(p json.RawMessage) bool { return strings.Contains(string(p), `"kind":"end"`) })
	st := c.waitNote("gitops/status", func(p json.RawMessage) bool { return strings.Contains(string(p), `"ready"`) })
	var s struct {
		State    string `json:"state"`
		Errors   int    `json:"errors"`
		Warnings int    `json:"warnings"`
	}
	if err := json.Unmarshal(st, &s); err != nil || s.Errors != 6 || s.Warnings != 1 {
		t.Errorf("status = %s (the demo has 6 errors, 1 warning)", st)
	}
	// Settings change without a restart: the rule turned off disappears.
	c.notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{"gitops": map[string]any{
		"offline": true, "mirrors": init["mirrors"], "rules": map[string]string{"secret/unencrypted": "off"}}}})
	c.waitDiags("applications/overlays/staging-cluster/services/cert-manager/ca-secret.yaml", "[]", empty)
}

func TestLogMessages(t *testing.T) {
	root, init := copyDemo(t)
	init["rules"] = map[string]string{"no/such-rule": "off"}
	c := startServer(t, Options{})
	c.initialize(root, init)
	c.waitNote("window/logMessage", func(p json.RawMessage) bool { return strings.Contains(string(p), "no/such-rule is no rule ID") })
}

// A lone edit finds the loop idle and is analysed at once: with an hour's
// debounce, its findings could only arrive if it is not debounced.
func TestLoneEditIsNotDebounced(t *testing.T) {
	root, init := copyDemo(t)
	c := startServer(t, Options{Debounce: time.Hour})
	c.initialize(root, init)
	c.waitDiags("applications/overlays/staging-cluster/services/cert-manager/ca-secret.yaml", "secret/unencrypted", hasRule("secret/unencrypted"))
	c.open(certKS)
	c.replace(certKS, "path: applications/base/services/cert-manager", "path: applications/base/services/cert-managr")
	c.waitDiags(certKS, "flux/path-not-found", hasRule("flux/path-not-found"))
}

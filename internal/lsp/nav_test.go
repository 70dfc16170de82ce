package lsp

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const (
	devSource = "applications/overlays/dev-cluster/services/sources/opencenter-cert-manager.yaml"
	stgSource = "applications/overlays/staging-cluster/services/sources/opencenter-cert-manager.yaml"
)

// navClient starts a server on the demo and waits for its first analysis.
func navClient(t *testing.T) *testClient {
	root, init := copyDemo(t)
	c := startServer(t, Options{})
	c.initialize(root, init)
	c.waitDiags("applications/overlays/staging-cluster/services/cert-manager/ca-secret.yaml", "secret/unencrypted", hasRule("secret/unencrypted"))
	return c
}

type location struct {
	URI   string   `json:"uri"`
	Range lspRange `json:"range"`
}

func (c *testClient) at(method, p string, line, char int, extra map[string]any, out any) {
	c.t.Helper()
	params := map[string]any{"textDocument": map[string]any{"uri": c.uri(p)}, "position": lspPos{line, char}}
	for k, v := range extra {
		params[k] = v
	}
	if err := c.request(method, params, out); err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
}

func TestDefinition(t *testing.T) {
	c := navClient(t)
	c.open(certKS)
	cases := []struct {
		file       string
		line, char int
		wantSuffix string
		wantLine   int
	}{
		{certKS, 11, 12, "/dev-cluster/services/sources/opencenter-cert-manager.yaml", 0},                                                   // sourceRef.name
		{certKS, 23, 14, "/dev-cluster/services/fluxcd/cert-manager.yaml", 0},                                                               // dependsOn
		{certKS, 28, 20, "/dev-cluster/services/cert-manager/kustomization.yaml", 0},                                                        // spec.path in this repository
		{certKS, 12, 20, "/applications/base/services/cert-manager/kustomization.yaml", 0},                                                  // spec.path in the base at its tag
		{"applications/overlays/dev-cluster/services/fluxcd/kustomization.yaml", 4, 8, "/dev-cluster/services/fluxcd/cert-manager.yaml", 0}, // resources entry
	}
	for _, tc := range cases {
		var loc *location
		c.at("textDocument/definition", tc.file, tc.line, tc.char, nil, &loc)
		if loc == nil || !strings.HasSuffix(loc.URI, tc.wantSuffix) || loc.Range.Start.Line != tc.wantLine {
			t.Errorf("%s:%d:%d: definition = %+v, want …%s:%d", tc.file, tc.line, tc.char, loc, tc.wantSuffix, tc.wantLine)
			continue
		}
		if strings.Contains(tc.wantSuffix, "/base/") {
			p, _ := uriPath(loc.URI)
			st, err := os.Stat(p)
			if err != nil || st.Mode().Perm()&0o222 != 0 {
				t.Errorf("base copy %s: %v, mode %v; want a read-only file", p, err, st.Mode())
			}
		}
	}
}

func TestReferencesHoverCompletionSymbols(t *testing.T) {
	c := navClient(t)
	c.open(certKS)
	c.open(devSource)

	var refs []location
	c.at("textDocument/references", devSource, 3, 10, map[string]any{"context": map[string]any{"includeDeclaration": false}}, &refs)
	if len(refs) != 1 || !strings.HasSuffix(refs[0].URI, "/fluxcd/cert-manager.yaml") || refs[0].Range.Start.Line != 11 {
		t.Errorf("references = %+v", refs)
	}

	hover := func(p string, line, char int) string {
		var h *struct {
			Contents struct {
				Value string `json:"value"`
			} `json:"contents"`
		}
		c.at("textDocument/hover", p, line, char, nil, &h)
		if h == nil {
			return ""
		}
		return h.Contents.Value
	}
	if h := hover(devSource, 9, 11); !strings.Contains(h, "`2026.02`") || !strings.Contains(h, "← pinned") || !strings.Contains(h, "`2026.01`") {
		t.Errorf("hover on ref.tag:\n%s", h)
	}
	if h := hover(stgSource, 9, 11); !strings.Contains(h, "changed base paths used here: `applications/base/services/cert-manager`") {
		t.Errorf("hover on an old ref.tag:\n%s", h)
	}
	if h := hover(certKS, 12, 20); !strings.Contains(h, "opencenter-cert-manager") || !strings.Contains(h, "object(s) applied to dev-cluster") {
		t.Errorf("hover on spec.path:\n%s", h)
	}
	if h := hover(certKS, 11, 12); !strings.Contains(h, "URL: ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git") || !strings.Contains(h, "2026.02") {
		t.Errorf("hover on sourceRef:\n%s", h)
	}
	if h := hover(stgSource, 9, 11); !strings.Contains(h, "**tag/update-available**") || !strings.Contains(h, "[Documentation](https://") {
		t.Errorf("hover on a finding shows no rule documentation:\n%s", h)
	}

	complete := func(p string, line, char int) []string {
		var items []struct {
			Label string `json:"label"`
		}
		c.at("textDocument/completion", p, line, char, nil, &items)
		var out []string
		for _, it := range items {
			out = append(out, it.Label)
		}
		return out
	}
	if got := strings.Join(complete(certKS, 11, 12), ","); got != "flux-system,opencenter-cert-manager,opencenter-gateway-api,opencenter-kube-prometheus-stack" {
		t.Errorf("sourceRef.name completion = %s", got)
	}
	if got := strings.Join(complete(devSource, 9, 11), ","); got != "2026.02,2026.01" {
		t.Errorf("ref.tag completion = %s", got)
	}
	if got := complete(certKS, 23, 14); !contains2(got, "cert-manager-base") || contains2(got, "cert-manager-override") {
		t.Errorf("dependsOn completion = %v", got)
	}
	if got := complete(certKS, 12, 20); !contains2(got, "./applications/base/services/cert-manager") {
		t.Errorf("spec.path completion = %v", got)
	}

	var syms []struct {
		Name string `json:"name"`
	}
	c.at("textDocument/documentSymbol", certKS, 0, 0, nil, &syms)
	if b, _ := json.Marshal(syms); string(b) != `[{"name":"Kustomization cert-manager-base"},{"name":"Kustomization cert-manager-override"}]` {
		t.Errorf("symbols = %s", b)
	}
}

func contains2(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestCodeLenses(t *testing.T) {
	c := navClient(t)
	lenses := func(p string) string {
		var ls []struct {
			Range   lspRange `json:"range"`
			Command struct {
				Title   string `json:"title"`
				Command string `json:"command"`
			} `json:"command"`
		}
		if err := c.request("textDocument/codeLens", map[string]any{"textDocument": map[string]any{"uri": c.uri(p)}}, &ls); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range ls {
			out = append(out, l.Command.Title+"|"+l.Command.Command)
		}
		return strings.Join(out, "; ")
	}
	if got := lenses(devSource); got != "2026.02 · newest|; pin previous|gitops.pin" {
		t.Errorf("dev source lenses = %q", got)
	}
	if got := lenses(stgSource); got != "2026.01 · 2026.02 available|gitops.pin" {
		t.Errorf("staging source lenses = %q", got)
	}
	if got := lenses(certKS); got != "staging-cluster: 2 files differ · prod-cluster: 3 files differ|gitops.promote" {
		t.Errorf("service lenses = %q", got)
	}
}

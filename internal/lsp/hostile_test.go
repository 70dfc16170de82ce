package lsp

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opencenter-cloud/gitops-hook/internal/hostilerepo"
)

// TestHostileFilesInTheEditor: the hostile repository corpus seen through
// the language server. With each hostile file listed by a kustomization and
// open in the editor (when it is text the protocol can carry), the server publishes a clear finding for it and the
// findings of the rest of the repository, and still answers requests on it.
func TestHostileFilesInTheEditor(t *testing.T) {
	for _, c := range []struct {
		name, file string
		data       []byte
		atFile     string // where the finding is published
		rule       string
	}{
		{"alias bomb", "bomb.yaml", hostilerepo.AliasBomb(10, 9), "apps/bomb.yaml", "yaml/alias-expansion"},
		{"a mapping of 200,000 keys", "wide.yaml", hostilerepo.WideMapping(200_000, false), "apps/wide.yaml", "yaml/syntax"},
		{"one key repeated 5,000 times", "repeated.yaml", hostilerepo.WideMapping(5000, true), "apps/repeated.yaml", "yaml/duplicate-key"},
		{"binary", "blob.yaml", []byte("\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe binary"), "apps/blob.yaml", "yaml/syntax"},
		{"invalid UTF-8", "latin1.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n"), "apps/latin1.yaml", "yaml/syntax"},
		{"deep nesting", "deep.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  key: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n"), "apps/deep.yaml", "yaml/syntax"},
		{"10,000 objects", "many.yaml", hostilerepo.ConfigMaps(10001), "clusters/dev/apps.yaml", "kustomize/build"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			files := hostilerepo.Fleet(c.file, "plain-secret.yaml")
			files["apps/"+c.file] = c.data
			if err := hostilerepo.Write(root, files); err != nil {
				t.Fatal(err)
			}
			cl := startServer(t, Options{Log: discard{}})
			cl.initialize(root, map[string]any{"offline": true})
			if utf8.Valid(c.data) {
				cl.open("apps/" + c.file)
			} // else the protocol cannot carry it: the editor shows it replaced, the disk has it
			cl.waitDiags("apps/plain-secret.yaml", "secret/unencrypted", hasRule("secret/unencrypted"))
			cl.waitDiags(c.atFile, c.rule, hasRule(c.rule))
			params := map[string]any{"textDocument": map[string]any{"uri": cl.uri("apps/" + c.file)}, "position": lspPos{4, 8}}
			for _, m := range []string{"textDocument/documentSymbol", "textDocument/hover", "textDocument/completion", "textDocument/definition"} {
				var out any
				if err := cl.request(m, params, &out); err != nil && strings.Contains(err.Error(), "closed") {
					t.Fatalf("%s: %v", m, err)
				}
			}
		})
	}
}

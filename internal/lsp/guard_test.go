package lsp

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEngineKnowsNoProtocol: the engine must stay free of the language
// server's protocol packages, so that the hook and the server share it.
func TestEngineKnowsNoProtocol(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command("go", "list", "-deps", "../analysis/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list gave too little: %q", out)
	}
	for _, d := range deps {
		if strings.Contains(d, "glsp") || strings.Contains(d, "jsonrpc2") || strings.Contains(d, "go.lsp.dev") || strings.Contains(d, "/lsp") {
			t.Errorf("the engine depends on %s", d)
		}
	}
}

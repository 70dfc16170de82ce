package rules

import (
	"testing"
	"testing/fstest"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
)

// TestSuggestOnlyAUniqueMisspelling: a missing name gets a suggestion only
// when one sibling is that close and is not just another of a numbered
// series; a wrong suggestion would be applied by --fix as a safe fix.
func TestSuggestOnlyAUniqueMisspelling(t *testing.T) {
	fsys := fstest.MapFS{}
	for _, d := range []string{"cert-manager", "metallb", "svc-002", "svc-011", "svc-051", "node-1", "gateway-api", "gateway-apx"} {
		fsys["services/"+d+"/kustomization.yaml"] = &fstest.MapFile{Data: []byte("resources: []\n")}
	}
	v := view.New(fsys, "test")
	for missing, want := range map[string]string{
		"services/cert-manger": "services/cert-manager", // a typo with one close match
		"services/metalb":      "services/metallb",
		"services/svc-001":     "", // svc-002, svc-011, svc-051: a series, not a typo
		"services/node-2":      "", // differs only in its digit
		"services/gateway-apy": "", // two siblings as close
		"services/unrelated":   "", // nothing close
	} {
		if got := suggest(v, missing); got != want {
			t.Errorf("suggest(%q) = %q, want %q", missing, got, want)
		}
	}
}

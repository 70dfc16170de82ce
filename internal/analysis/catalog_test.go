package analysis_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
)

// TestCatalogFolderRemovesMissing: the one schema/missing line of a run
// lists every kind without schema; a catalog folder named in .gitops.yaml
// removes the kinds it covers from it.
func TestCatalogFolderRemovesMissing(t *testing.T) {
	fsys, res, _, _ := loadFixture(t, "../../testdata/rules/schema-catalog.txtar")
	missing := func() []string {
		t.Helper()
		r, err := analysis.Analyze(context.Background(), analysis.Options{FS: fsys, Sources: res})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range r.Diagnostics {
			if d.Rule == "schema/missing" {
				out = append(out, d.Message)
			}
		}
		return out
	}
	with := missing()
	if len(with) != 1 || !strings.Contains(with[0], "kyverno.io/v1 ClusterPolicy") ||
		strings.Contains(with[0], "ClusterIssuer") || strings.Contains(with[0], "IPAddressPool") {
		t.Errorf("with the catalog: %q", with)
	}
	delete(fsys, ".gitops.yaml")
	without := missing()
	if len(without) != 1 {
		t.Fatalf("without the catalog: %d schema/missing findings, want one line: %q", len(without), without)
	}
	for _, kind := range []string{"cert-manager.io/v1 ClusterIssuer", "metallb.io/v1beta1 IPAddressPool", "kyverno.io/v1 ClusterPolicy"} {
		if !strings.Contains(without[0], kind) {
			t.Errorf("without the catalog, %s is not listed: %q", kind, without[0])
		}
	}
}

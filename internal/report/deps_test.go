package report

import (
	"os/exec"
	"strings"
	"testing"
)

// TestReportLinksNothingHeavy: the report writers need the rule catalog,
// not the checks, so they must not link kustomize or kubeconform.
func TestReportLinksNothingHeavy(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "sigs.k8s.io/kustomize") || strings.Contains(pkg, "kubeconform") {
			t.Errorf("package report links %s", pkg)
		}
	}
}

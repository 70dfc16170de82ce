package analysis_test

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/rules/rulestest"
)

// The rule fixtures run from package rules (internal/analysis/rules); the
// tests here use some of them for what the engine does around the rules.

// BaseURL is the repository URL fixtures use for the gitops base.
const BaseURL = rulestest.BaseURL

// loadFixture reads a txtar fixture (see package rulestest).
func loadFixture(t testing.TB, name string) (fstest.MapFS, *gitsrc.Resolver, []rulestest.Want, string) {
	t.Helper()
	fx := rulestest.Load(t, name)
	return fx.FS, fx.Sources, fx.Wants, fx.Origin
}

// runFixture analyses a fixture and checks its wanted findings.
func runFixture(t *testing.T, name string) []diag.Diagnostic {
	t.Helper()
	return rulestest.Run(t, name)
}

// TestArtifactPathSuggestion: spec.path of an ExternalArtifact is read in
// the artifact, so the suggestion for a misspelt folder is written in the
// artifact's coordinates, never as this repository's path.
func TestArtifactPathSuggestion(t *testing.T) {
	var got []string
	for _, d := range runFixture(t, "../../testdata/rules/artifact-root.txtar") {
		if d.Rule != "flux/path-not-found" {
			continue
		}
		for _, f := range d.Fixes {
			for _, e := range f.Edits {
				got = append(got, e.NewText)
			}
		}
		if !strings.Contains(d.Message, `did you mean "controllers"?`) {
			t.Errorf("message: %s", d.Message)
		}
	}
	if len(got) != 1 || got[0] != "./controllers" {
		t.Errorf("fix edits = %q, want [./controllers]", got)
	}
}

// TestMissingFileRespelt: a misspelt entry gets the close match as a safe
// fix, written as the entry was ("./" kept, only the misspelt name changed),
// and entries with no close match get none.
func TestMissingFileRespelt(t *testing.T) {
	fixes := map[int][]string{}
	for _, d := range runFixture(t, "../../testdata/rules/kustomize-files.txtar") {
		if d.Rule != "kustomize/missing-file" {
			continue
		}
		for _, f := range d.Fixes {
			if f.Kind != diag.Safe {
				t.Errorf("line %d: fix %q is not safe", d.Range.Start.Line, f.Title)
			}
			for _, e := range f.Edits {
				fixes[d.Range.Start.Line] = append(fixes[d.Range.Start.Line], e.NewText)
			}
		}
	}
	want := map[int][]string{5: {"./deployment.yaml"}} // "./deploymnt.yaml"; the other entries have no close match
	if fmt.Sprint(fixes) != fmt.Sprint(want) {
		t.Errorf("fixes by line = %v, want %v", fixes, want)
	}
}

package rules_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/rules"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/rules/rulestest"
)

const fixtures = "../../../testdata/rules/*.txtar"

func fixtureFiles(t *testing.T) []string {
	files, err := filepath.Glob(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures found")
	}
	var out []string
	for _, f := range files {
		if !strings.HasPrefix(filepath.Base(f), "_") {
			out = append(out, f)
		}
	}
	return out
}

// TestRuleFixtures runs every fixture under testdata/rules: each wanted
// finding must be reported on its line, nothing else may be, and no check
// may fail.
func TestRuleFixtures(t *testing.T) {
	for _, f := range fixtureFiles(t) {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txtar"), func(t *testing.T) {
			rulestest.Run(t, f)
		})
	}
}

// TestEveryRuleHasAFixture keeps the catalog honest: every rule it lists
// is made to fire by at least one fixture (which TestRuleFixtures runs).
func TestEveryRuleHasAFixture(t *testing.T) {
	fired := map[string]bool{}
	for _, f := range fixtureFiles(t) {
		for _, id := range rulestest.Fired(t, f) {
			fired[id] = true
			if _, ok := catalog.Lookup(id); !ok {
				t.Errorf("%s wants %s, which the catalog does not list", filepath.Base(f), id)
			}
		}
	}
	for _, r := range catalog.All() {
		if !fired[r.ID] {
			t.Errorf("no fixture under testdata/rules makes %s fire", r.ID)
		}
	}
}

// outsideChecks are the rules reported outside the checks: by the loader
// (a file that does not parse or cannot be read) and by the promote action.
var outsideChecks = []string{
	"yaml/syntax", "yaml/duplicate-key", "yaml/alias-expansion",
	"repo/unreadable", "repo/file-too-large",
	"promotion/review",
}

// TestEveryRuleHasACheck: the catalog is what the checks report, and
// every rule a check declares is in it.
func TestEveryRuleHasACheck(t *testing.T) {
	reported := map[string]bool{}
	for _, r := range rules.Reported() {
		reported[r.ID] = true
		if c, ok := catalog.Lookup(r.ID); !ok || c != r {
			t.Errorf("a check reports %s, which the catalog does not list", r.ID)
		}
	}
	for _, r := range catalog.All() {
		if !reported[r.ID] && !slices.Contains(outsideChecks, r.ID) {
			t.Errorf("no check reports %s", r.ID)
		}
		if reported[r.ID] && slices.Contains(outsideChecks, r.ID) {
			t.Errorf("%s is reported by a check and listed as reported outside them", r.ID)
		}
	}
}

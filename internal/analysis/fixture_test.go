package analysis_test

import (
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

package analysis_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
)

// BaseURL is the repository URL fixtures use for the gitops base.
const BaseURL = "ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git"

var wantRE = regexp.MustCompile(`#\s*want((?:\s+"[^"]+")+)`)

type want struct {
	file string
	line int
	rule string
}

// loadFixture reads a txtar fixture: repository files, and "@TAG/path"
// files for the base (testdata/rules/_base.txtar when the fixture has none).
func loadFixture(t testing.TB, name string) (fstest.MapFS, *gitsrc.Resolver, []want, string) {
	t.Helper()
	a, err := txtar.ParseFile(name)
	if err != nil {
		t.Fatal(err)
	}
	snaps := testrepo.Snapshots(a)
	if len(snaps) == 0 {
		// A fixture without snapshots reads the shared base of its folder,
		// if there is one.
		base, err := txtar.ParseFile(filepath.Join(filepath.Dir(name), "_base.txtar"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		if base != nil {
			snaps = testrepo.Snapshots(base)
		}
	}
	res := &gitsrc.Resolver{Offline: true}
	if len(snaps) > 0 {
		res.Mirrors = map[string]string{BaseURL: testrepo.BareRepo(t, snaps)}
	}
	fsys := fstest.MapFS{}
	var wants []want
	for p, data := range testrepo.RepoFiles(a) {
		fsys[p] = &fstest.MapFile{Data: data}
		for i, line := range strings.Split(string(data), "\n") {
			m := wantRE.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			for _, r := range regexp.MustCompile(`"([^"]+)"`).FindAllStringSubmatch(m[1], -1) {
				wants = append(wants, want{p, i + 1, r[1]})
			}
		}
	}
	origin := ""
	if m := regexp.MustCompile(`(?m)^origin: (\S+)`).FindSubmatch(a.Comment); m != nil {
		origin = string(m[1])
	}
	return fsys, res, wants, origin
}

func runFixture(t *testing.T, name string) []diag.Diagnostic {
	fsys, res, wants, origin := loadFixture(t, name)
	r, err := analysis.Analyze(context.Background(), analysis.Options{FS: fsys, Sources: res, Origin: origin})
	if err != nil {
		t.Fatal(err)
	}
	got := map[want]bool{}
	for _, d := range r.Diagnostics {
		got[want{d.File, d.Range.Start.Line, d.Rule}] = true
	}
	expected := map[want]bool{}
	for _, w := range wants {
		expected[w] = true
		if !got[w] {
			t.Errorf("%s:%d: want %s, not reported", w.file, w.line, w.rule)
		}
	}
	for _, d := range r.Diagnostics {
		if !expected[want{d.File, d.Range.Start.Line, d.Rule}] {
			t.Errorf("%s:%d:%d: unexpected %s: %s", d.File, d.Range.Start.Line, d.Range.Start.Col, d.Rule, d.Message)
		}
	}
	return r.Diagnostics
}

// TestRuleFixtures runs every fixture under testdata/rules: each "# want"
// marker must be reported on its line, and nothing else may be.
func TestRuleFixtures(t *testing.T) {
	files, err := filepath.Glob("../../testdata/rules/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures found")
	}
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "_") {
			continue
		}
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txtar"), func(t *testing.T) {
			runFixture(t, f)
		})
	}
}

// TestEveryRuleHasAFixture keeps the catalog honest: each rule the engine
// implements is made to fire by at least one fixture.
func TestEveryRuleHasAFixture(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/rules/*.txtar")
	seen := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`#\s*want((?:\s+"[^"]+")+)`).FindAllStringSubmatch(string(data), -1) {
			for _, r := range regexp.MustCompile(`"([^"]+)"`).FindAllStringSubmatch(m[1], -1) {
				seen[r[1]] = true
			}
		}
	}
	var missing []string
	for _, id := range implementedRules {
		if !seen[id] {
			missing = append(missing, id)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("rules without a firing fixture: %s", fmt.Sprint(missing))
	}
}

var implementedRules = []string{
	"yaml/syntax", "yaml/duplicate-key", "yaml/alias-expansion",
	"kustomize/missing-file", "kustomize/outside-root", "kustomize/remote-resource", "kustomize/deprecated-field", "kustomize/unused-file", "kustomize/patch-no-match",
	"kustomize/build", "flux/path-no-kustomization", "schema/invalid", "schema/unknown-field", "schema/missing",
	"flux/api-removed", "flux/field-removed", "flux/source-not-found", "flux/path-not-found", "flux/path-other-cluster",
	"flux/not-applied", "flux/dependson-not-found", "flux/dependson-cycle", "flux/decryption-missing", "flux/suspended",
	"flux/git-url", "flux/helmrelease-chart",
	"tag/not-a-string", "tag/unpinned", "tag/not-found", "tag/unverified", "tag/mixed", "tag/order", "tag/rejected", "tag/update-available",
	"values/override-not-consumed", "values/hash-suffix",
	"secret/unencrypted", "secret/private-key", "secret/placeholder",
}

// TestFixturesHaveNoInternalErrors: no check may fail on any fixture.
func TestFixturesHaveNoInternalErrors(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/rules/*.txtar")
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "_") {
			continue
		}
		fsys, res, _, origin := loadFixture(t, f)
		r, err := analysis.Analyze(context.Background(), analysis.Options{FS: fsys, Sources: res, Origin: origin})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range r.Errors {
			t.Errorf("%s: %v", f, e)
		}
	}
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

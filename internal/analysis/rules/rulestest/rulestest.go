// Package rulestest runs rule fixtures: txtar archives of repository files
// (and "@TAG/path" files for the base repository) whose "# want" comments
// name the findings expected on their line.
//
// The archive's comment may hold directives, one a line:
//
//	origin: URL                the repository's origin remote
//	changed: PATH...           analyse as the hook does for a change of these paths
//	pad: FILE BYTES            grow FILE with comment lines to BYTES bytes
//	symlink: FILE TARGET       FILE is a symbolic link to TARGET
//	want: FILE:LINE RULE       a finding in a file that cannot hold a comment
//	review: FROM TO FILE...    review FILE... as just promoted from FROM to TO
package rulestest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/promote"
	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
)

// BaseURL is the repository URL fixtures use for the gitops base.
const BaseURL = "ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git"

// Want is one expected finding.
type Want struct {
	File string
	Line int
	Rule string
}

// Review is a "review:" directive.
type Review struct {
	From, To string
	Files    []string
}

// Fixture is a loaded archive.
type Fixture struct {
	FS      fstest.MapFS
	Sources *gitsrc.Resolver
	Wants   []Want
	Origin  string
	Changed []string // nil without a "changed:" directive
	Reviews []Review
}

var (
	wantRE      = regexp.MustCompile(`#\s*want((?:\s+"[^"]+")+)`)
	quotedRE    = regexp.MustCompile(`"([^"]+)"`)
	directiveRE = regexp.MustCompile(`(?m)^(origin|changed|pad|symlink|want|review):(.*)$`)
)

// WantsIn returns the rule IDs that the "# want" comments of text name.
func WantsIn(text string) []string {
	var out []string
	for _, m := range wantRE.FindAllStringSubmatch(text, -1) {
		for _, r := range quotedRE.FindAllStringSubmatch(m[1], -1) {
			out = append(out, r[1])
		}
	}
	return out
}

// Load reads a fixture. A fixture without snapshots reads the shared base
// of its folder (_base.txtar), if there is one.
func Load(t testing.TB, name string) *Fixture {
	t.Helper()
	a, err := txtar.ParseFile(name)
	if err != nil {
		t.Fatal(err)
	}
	snaps := testrepo.Snapshots(a)
	if len(snaps) == 0 {
		base, err := txtar.ParseFile(filepath.Join(filepath.Dir(name), "_base.txtar"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		if base != nil {
			snaps = testrepo.Snapshots(base)
		}
	}
	fx := &Fixture{FS: fstest.MapFS{}, Sources: &gitsrc.Resolver{Offline: true}}
	if len(snaps) > 0 {
		fx.Sources.Mirrors = map[string]string{BaseURL: testrepo.BareRepo(t, snaps)}
	}
	for p, data := range testrepo.RepoFiles(a) {
		fx.FS[p] = &fstest.MapFile{Data: data}
		for i, line := range strings.Split(string(data), "\n") {
			for _, r := range WantsIn(line) {
				fx.Wants = append(fx.Wants, Want{p, i + 1, r})
			}
		}
	}
	for _, m := range directiveRE.FindAllStringSubmatch(string(a.Comment), -1) {
		args := strings.Fields(m[2])
		bad := func() { t.Fatalf("%s: bad directive %q", name, m[0]) }
		switch m[1] {
		case "origin":
			if len(args) != 1 {
				bad()
			}
			fx.Origin = args[0]
		case "changed":
			fx.Changed = append([]string{}, args...)
		case "pad":
			n, err := strconv.Atoi(strings.ReplaceAll(args[len(args)-1], "_", ""))
			if len(args) != 2 || err != nil || fx.FS[args[0]] == nil {
				bad()
			}
			data := fx.FS[args[0]].Data
			line := "# " + strings.Repeat("x", 77) + "\n"
			for len(data) < n {
				data = append(data, line...)
			}
			fx.FS[args[0]].Data = data
		case "symlink":
			if len(args) != 2 {
				bad()
			}
			fx.FS[args[0]] = &fstest.MapFile{Data: []byte(args[1]), Mode: fs.ModeSymlink}
		case "want":
			file, line, ok := strings.Cut(strings.Join(args[:max(len(args)-1, 0)], " "), ":")
			n, err := strconv.Atoi(line)
			if len(args) != 2 || !ok || err != nil {
				bad()
			}
			fx.Wants = append(fx.Wants, Want{file, n, args[1]})
		case "review":
			if len(args) < 3 {
				bad()
			}
			fx.Reviews = append(fx.Reviews, Review{args[0], args[1], args[2:]})
		}
	}
	return fx
}

// Options are the analysis options of the fixture.
func (fx *Fixture) Options() analysis.Options {
	return analysis.Options{FS: fx.FS, Sources: fx.Sources, Origin: fx.Origin, Changed: fx.Changed}
}

// Analyze analyses the fixture and adds the findings of its reviews.
func (fx *Fixture) Analyze(t testing.TB) *analysis.Result {
	t.Helper()
	r, err := analysis.Analyze(context.Background(), fx.Options())
	if err != nil {
		t.Fatal(err)
	}
	for _, rv := range fx.Reviews {
		r.Diagnostics = append(r.Diagnostics, promote.Review(fx.FS, rv.Files, rv.From, rv.To)...)
	}
	return r
}

// Run analyses the fixture of the named file and checks that every wanted
// finding is reported on its line and nothing else is.
func Run(t *testing.T, name string) []diag.Diagnostic {
	t.Helper()
	fx := Load(t, name)
	r := fx.Analyze(t)
	got := map[Want]bool{}
	for _, d := range r.Diagnostics {
		got[Want{d.File, d.Range.Start.Line, d.Rule}] = true
	}
	expected := map[Want]bool{}
	for _, w := range fx.Wants {
		expected[w] = true
		if !got[w] {
			t.Errorf("%s:%d: want %s, not reported", w.File, w.Line, w.Rule)
		}
	}
	for _, d := range r.Diagnostics {
		if !expected[Want{d.File, d.Range.Start.Line, d.Rule}] {
			t.Errorf("%s:%d:%d: unexpected %s: %s", d.File, d.Range.Start.Line, d.Range.Start.Col, d.Rule, d.Message)
		}
	}
	for _, e := range r.Errors {
		t.Errorf("internal error: %v", e)
	}
	return r.Diagnostics
}

// Fired returns the rule IDs a fixture's text wants, in "# want" comments
// and "want:" directives alike, without building the fixture.
func Fired(t testing.TB, name string) []string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	out := WantsIn(string(data))
	a := txtar.Parse(data)
	for _, m := range directiveRE.FindAllStringSubmatch(string(a.Comment), -1) {
		if args := strings.Fields(m[2]); m[1] == "want" && len(args) == 2 {
			out = append(out, args[1])
		}
	}
	return out
}

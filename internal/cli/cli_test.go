package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/cli"
	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
)

var update = flag.Bool("update", false, "rewrite golden files")

// run executes the command line in dir and returns exit code and output.
func run(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	cacheHome := t.TempDir() // empty: no clone, no build cached
	code := cli.Run(context.Background(), args, cli.Env{
		Stdout: &out, Stderr: &errb, Dir: dir,
		Getenv: func(k string) string {
			if k == "XDG_CACHE_HOME" {
				return cacheHome
			}
			return ""
		},
	})
	return code, out.String(), errb.String()
}

func projectRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(wd, "..", "..")
}

func sharedData(t *testing.T) string { return testrepo.SharedData(t) }

// TestCheckDemo pins the findings on the built-in example.
func TestCheckDemo(t *testing.T) {
	root := projectRoot(t)
	code, out, errOut := run(t, root, "check", "testdata/demo", "--offline", "--no-color")
	if code != cli.ExitFinding {
		t.Fatalf("exit %d, want 1 (the demo has errors); stderr: %s", code, errOut)
	}
	golden := filepath.Join(root, "testdata", "demo.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("output differs from %s (go test ./internal/cli -run TestCheckDemo -update to accept):\n%s", golden, out)
	}
}

func TestCheckDemoJSON(t *testing.T) {
	root := projectRoot(t)
	code, out, _ := run(t, root, "check", "testdata/demo", "--format", "json")
	if code != cli.ExitFinding {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Diagnostics []struct {
			File, Severity, Rule, Message    string
			Line, Column, EndLine, EndColumn int
			Related                          []struct {
				File    string
				Line    int
				Column  int
				Message string
			}
		}
		Summary struct{ Errors, Warnings, Infos, Files int }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if doc.Summary.Errors == 0 || doc.Summary.Files == 0 {
		t.Errorf("summary: %+v", doc.Summary)
	}
	for _, d := range doc.Diagnostics {
		if d.Line < 1 || d.Column < 1 || d.EndLine < d.Line || (d.EndLine == d.Line && d.EndColumn <= d.Column) {
			t.Errorf("bad range %d:%d-%d:%d for %s %s", d.Line, d.Column, d.EndLine, d.EndColumn, d.Rule, d.File)
		}
		if strings.Contains(d.File, "\\") || filepath.IsAbs(d.File) {
			t.Errorf("file %q is not repository-relative and slash-separated", d.File)
		}
	}
}

// TestCheckFluxExample: the Flux project's own example repository is valid.
func TestCheckFluxExample(t *testing.T) {
	data := sharedData(t)
	code, out, errOut := run(t, data, "check", "flux2-kustomize-helm-example", "--offline", "--format", "json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, `"severity": "error"`) {
		t.Errorf("errors reported:\n%s", out)
	}
}

type finding struct {
	file string
	line int
	rule string
}

// TestCheckOpenCenterExample: the base project's own example overlay, with
// the real base as a mirror, gives its real mistakes and nothing else.
func TestCheckOpenCenterExample(t *testing.T) {
	data := sharedData(t)
	mirror := testrepo.RealBase(t)
	code, out, errOut := run(t, data, "check", "opencenter-example-overlay/examples", "--offline", "--format", "json",
		"--mirror", "https://github.com/rackerlabs/openCenter-gitops-base.git="+mirror)
	if code != cli.ExitFinding {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var doc struct {
		Diagnostics []struct {
			File, Rule, Severity string
			Line                 int
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[finding]bool{}
	for _, d := range doc.Diagnostics {
		got[finding{d.File, d.Line, d.Rule}] = true
	}
	o := "applications/overlays/dev-cluster/"
	want := []finding{
		{o + "services/fluxcd/metallb.yaml", 49, "flux/path-not-found"},
		{o + "services/fluxcd/sources.yaml", 9, "flux/path-not-found"},
		{o + "services/sources/opencenter-cert-manager.yaml", 11, "tag/unpinned"},
		{o + "services/sources/opencenter-gateway-api.yaml", 11, "tag/unpinned"},
		{o + "services/sources/opencenter-headlamp.yaml", 11, "tag/unpinned"},
		{o + "services/sources/opencenter-metallb.yaml", 11, "tag/unpinned"},
		// Not mistakes of the overlay itself, but true: nothing reads the
		// calico values, and flux bootstrap has not run yet.
		{o + "services/calico/helm-values/override_values.yaml", 1, "kustomize/unused-file"},
		{o + "kustomization.yaml", 5, "kustomize/missing-file"},
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing %s:%d %s", w.file, w.line, w.rule)
		}
		delete(got, w)
	}
	var extra []string
	for f := range got {
		extra = append(extra, f.file+" "+f.rule)
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("spurious findings: %v\n%s", extra, out)
	}
}

func TestRulesListsCatalog(t *testing.T) {
	code, out, _ := run(t, t.TempDir(), "rules")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, r := range catalog.All() {
		if !strings.Contains(out, r.ID) {
			t.Errorf("rules output lacks %s", r.ID)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check", filepath.Join(dir, "does-not-exist")}, "no such file"},
		{[]string{"check", dir, "--format", "xml"}, "unknown --format"},
		{[]string{"check", dir, "--mirror", "nonsense"}, "want URL=DIR"},
		{[]string{"check", dir, "--rule", "no/such-rule"}, "no such rule"},
		{[]string{"check", dir, "--config", filepath.Join(dir, "missing.yaml")}, "config"},
		{[]string{"frobnicate"}, "unknown command"},
		{nil, "Usage"},
	} {
		code, _, errOut := run(t, dir, tc.args...)
		if code != cli.ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 mentioning %q", tc.args, code, errOut, tc.want)
		}
	}
}

func TestBadConfig(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".gitops.yaml"), []byte("rules:\n  secret/placeholder: loud\n"), 0o644)
	code, _, errOut := run(t, dir, "check", dir)
	if code != cli.ExitUsage || !strings.Contains(errOut, "unknown severity") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// TestNothingToAnalyse: a folder without a GitOps layout is a mistake of
// the caller (a CI job pointed at the wrong folder), not a clean pass.
func TestNothingToAnalyse(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.yaml"), []byte("a: 1\n"), 0o644)
	code, out, errOut := run(t, dir, "check", dir)
	if code != cli.ExitUsage || !strings.Contains(errOut, "nothing to analyse in "+dir) || !strings.Contains(errOut, "applications/overlays/<cluster>/") || out != "" {
		t.Errorf("exit %d, out %q, stderr %q", code, out, errOut)
	}
}

// TestNothingToAnalyseSuggestsRoot: a GitOps tree kept in a sub-folder
// and shipped as an artifact built from it (Flux paths relative to
// kubernetes/) gets the folder to make the root.
func TestNothingToAnalyseSuggestsRoot(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) { writeFile(t, filepath.Join(dir, filepath.FromSlash(p)), []byte(s)) }
	write("kubernetes/flux/cluster/ks.yaml", "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\n"+
		"spec:\n  interval: 1h\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: OCIRepository\n    name: flux-system\n")
	write("kubernetes/apps/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n")
	code, _, errOut := run(t, dir, "check", dir)
	want := "the Flux paths here are relative to kubernetes/"
	if code != cli.ExitUsage || !strings.Contains(errOut, want) || !strings.Contains(errOut, "put a .gitops.yaml there") {
		t.Errorf("exit %d, stderr %q, want it to say %q", code, errOut, want)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, t.TempDir(), "version")
	if code != 0 || !strings.Contains(out, "go1.") {
		t.Errorf("exit %d, out %q", code, out)
	}
}

// TestDocsListEveryRule keeps README.md and docs/rules.md true to the catalog.
func TestDocsListEveryRule(t *testing.T) {
	for _, doc := range []string{"README.md", "docs/rules.md"} {
		data, err := os.ReadFile(filepath.Join(projectRoot(t), doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range catalog.All() {
			if !strings.Contains(string(data), "`"+r.ID+"`") {
				t.Errorf("%s does not list %s", doc, r.ID)
			}
		}
	}
}

// TestFluxExampleIsFollowed: the example's Kustomizations read
// ExternalArtifacts made by an ArtifactGenerator; breaking what they lead
// to must be noticed, which proves they are followed into the repository.
func TestFluxExampleIsFollowed(t *testing.T) {
	data := sharedData(t)
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(data, "flux2-kustomize-helm-example"))); err != nil {
		t.Fatal(err)
	}
	edit := func(rel, old, new string) {
		p := filepath.Join(dir, rel)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), old) {
			t.Fatalf("%s lacks %q", rel, old)
		}
		os.Chmod(p, 0o644)
		if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit("apps/base/podinfo/release.yaml", "name: podinfo\n  install", "name: podinfoo\n  install")
	edit("clusters/production/infrastructure.yaml", "path: ./configs", "path: ./config")
	_, out, _ := run(t, dir, "check", dir, "--offline")
	for _, want := range []string{
		"apps/base/podinfo/release.yaml:14:15: error: sourceRef HelmRepository \"podinfoo\"",
		"clusters/production/infrastructure.yaml",
		"[flux/path-not-found]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

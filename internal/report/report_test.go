package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
)

var sample = []diag.Diagnostic{{
	Rule: "flux/path-not-found", Severity: diag.Error, File: "a/b.yaml",
	Range:   diag.Range{Start: diag.Pos{Line: 3, Col: 9}, End: diag.Pos{Line: 3, Col: 20}},
	Message: "path \"x\" does not exist, 100%\nreally",
	Related: []diag.Related{{File: "base/x.yaml", Range: diag.Range{Start: diag.Pos{Line: 1, Col: 1}}, Message: "here"}},
}, {
	Rule: "tag/unverified", Severity: diag.Info, File: "c.yaml",
	Range: diag.Range{Start: diag.Pos{Line: 1, Col: 1}, End: diag.Pos{Line: 1, Col: 5}}, Message: "m",
}}

func TestText(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "text", sample, 7, Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "a/b.yaml:3:9: error: path \"x\" does not exist") || !strings.Contains(out, "[flux/path-not-found]") {
		t.Errorf("text:\n%s", out)
	}
	if !strings.Contains(out, "1 error, 0 warnings, 1 info in 7 files") {
		t.Errorf("summary:\n%s", out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour without Color")
	}
}

func TestJSONShape(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "json", sample, 7, Options{}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	d := doc["diagnostics"].([]any)[0].(map[string]any)
	for k, want := range map[string]any{"file": "a/b.yaml", "line": 3.0, "column": 9.0, "endLine": 3.0, "endColumn": 20.0, "severity": "error", "rule": "flux/path-not-found"} {
		if d[k] != want {
			t.Errorf("%s = %v, want %v", k, d[k], want)
		}
	}
	s := doc["summary"].(map[string]any)
	if s["errors"] != 1.0 || s["infos"] != 1.0 || s["files"] != 7.0 {
		t.Errorf("summary %v", s)
	}
	// An empty result is an empty list, not null.
	b.Reset()
	Write(&b, "json", nil, 0, Options{})
	if !strings.Contains(b.String(), `"diagnostics": []`) {
		t.Errorf("empty: %s", b.String())
	}
}

func TestSARIF(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "sarif", sample, 7, Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version string
		Runs    []struct {
			Tool struct {
				Driver struct{ Rules []struct{ ID string } }
			}
			Results []struct {
				RuleID, Level string
				Locations     []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine, StartColumn int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"text": "path`) {
		t.Error("SARIF messages need a lowercase text property")
	}
	if doc.Version != "2.1.0" || len(doc.Runs) != 1 || len(doc.Runs[0].Results) != 2 {
		t.Fatalf("%+v", doc)
	}
	r := doc.Runs[0].Results[0]
	if r.RuleID != "flux/path-not-found" || r.Level != "error" || r.Locations[0].PhysicalLocation.Region.StartLine != 3 {
		t.Errorf("%+v", r)
	}
	if doc.Runs[0].Results[1].Level != "note" || len(doc.Runs[0].Tool.Driver.Rules) < 30 {
		t.Errorf("levels or rules: %+v", doc.Runs[0])
	}
}

func TestGitHubEscapes(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "github", sample[:1], 1, Options{}); err != nil {
		t.Fatal(err)
	}
	want := "::error file=a/b.yaml,line=3,col=9,endLine=3,endColumn=20,title=flux/path-not-found::path \"x\" does not exist, 100%25%0Areally\n"
	if b.String() != want {
		t.Errorf("got  %q\nwant %q", b.String(), want)
	}
}

func TestTextSummaryOverride(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "text", sample, 7, Options{Summary: "gitops-hook: 1 error in 1 changed file"}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasSuffix(out, "\ngitops-hook: 1 error in 1 changed file\n") || strings.Contains(out, "in 7 files") {
		t.Errorf("summary not replaced:\n%s", out)
	}
}

func at(rule string, sev diag.Severity, file string, line int, msg string) diag.Diagnostic {
	return diag.Diagnostic{Rule: rule, Severity: sev, File: file, Message: msg,
		Range: diag.Range{Start: diag.Pos{Line: line, Col: 1}, End: diag.Pos{Line: line, Col: 2}}}
}

// A cluster's worth of findings as check reports them: infos first in file
// order, errors and warnings among them.
var cluster = []diag.Diagnostic{
	at("schema/missing", diag.Info, "apps/a.yaml", 2, "no schema for 3 kinds"),
	at("tag/update-available", diag.Info, "sources/a.yaml", 10, "a newer tag of a exists"),
	at("flux/path-not-found", diag.Error, "fluxcd/b.yaml", 13, "path does not exist"),
	at("tag/update-available", diag.Info, "sources/b.yaml", 10, "a newer tag of b exists"),
	at("flux/suspended", diag.Warning, "fluxcd/c.yaml", 16, "suspended"),
	at("tag/update-available", diag.Info, "sources/c.yaml", 10, "a newer tag of c exists"),
	at("tag/update-available", diag.Info, "sources/c.yaml", 20, "a newer tag of c2 exists"),
}

func TestFold(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "text", cluster, 9, Options{Fold: true}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	want := []string{
		"fluxcd/b.yaml:13:1: error: path does not exist [flux/path-not-found]",
		"fluxcd/c.yaml:16:1: warning: suspended [flux/suspended]",
		"apps/a.yaml:2:1: info: no schema for 3 kinds [schema/missing]",
		"sources/a.yaml:10:1: info: a newer tag of a exists [tag/update-available] (1 of 4, in 3 files; --verbose lists them)",
		"1 error, 1 warning, 5 info in 9 files",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	// Unfolded (--verbose), every finding is listed as given.
	b.Reset()
	Write(&b, "text", cluster, 9, Options{})
	if n := strings.Count(b.String(), "\n"); n != len(cluster)+1 {
		t.Errorf("verbose: %d lines:\n%s", n, b.String())
	}
	// JSON keeps everything whatever the options.
	b.Reset()
	Write(&b, "json", cluster, 9, Options{Fold: true, Changed: []string{}})
	var doc struct{ Diagnostics []any }
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil || len(doc.Diagnostics) != len(cluster) {
		t.Errorf("json: %d diagnostics, %v", len(doc.Diagnostics), err)
	}
}

// TestChanged: the hook shows errors and warnings wherever they are, infos
// only in the changed files, and says how many it left out.
func TestChanged(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "text", cluster, 9, Options{Changed: []string{"sources/c.yaml"}, Summary: "gitops-hook: 1 error, 1 warning in 1 changed file (1 cluster)"}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, w := range []string{"fluxcd/b.yaml:13:1: error", "fluxcd/c.yaml:16:1: warning", "sources/c.yaml:10:1: info", "sources/c.yaml:20:1: info",
		"gitops-hook: 1 error, 1 warning in 1 changed file (1 cluster); 3 info outside the changed files not shown (--verbose shows them)\n"} {
		if !strings.Contains(out, w) {
			t.Errorf("missing %q in:\n%s", w, out)
		}
	}
	if strings.Contains(out, "sources/a.yaml") || strings.Contains(out, "apps/a.yaml") {
		t.Errorf("an info outside the changed files is shown:\n%s", out)
	}
	// A clean commit: the summary line only.
	b.Reset()
	Write(&b, "text", nil, 9, Options{Changed: []string{"x.yaml"}, Summary: "gitops-hook: 0 errors, 0 warnings in 1 changed file (1 cluster)"})
	if b.String() != "gitops-hook: 0 errors, 0 warnings in 1 changed file (1 cluster)\n" {
		t.Errorf("clean: %q", b.String())
	}
}

// TestJSONFixKind: each fix says whether --fix may apply it unasked.
func TestJSONFixKind(t *testing.T) {
	ds := []diag.Diagnostic{{
		Rule: "tag/not-a-string", Severity: diag.Error, File: "s.yaml",
		Range: diag.Range{Start: diag.Pos{Line: 2, Col: 3}, End: diag.Pos{Line: 2, Col: 10}}, Message: "m",
		Fixes: []diag.Fix{
			{Title: "Quote the tag", Kind: diag.Safe, Edits: []diag.Edit{{File: "s.yaml", NewText: `"2026.01"`}}},
			{Title: "Pin tag 2026.02", Kind: diag.Choice},
		},
	}}
	var b bytes.Buffer
	if err := Write(&b, "json", ds, 1, Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Diagnostics []struct {
			Fixes []struct{ Title, Kind string }
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	fs := doc.Diagnostics[0].Fixes
	if len(fs) != 2 || fs[0].Kind != "safe" || fs[1].Kind != "choice" {
		t.Errorf("fixes = %+v", fs)
	}
}

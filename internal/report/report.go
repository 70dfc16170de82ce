// Package report writes diagnostics for people and machines: compiler-style
// text, JSON, SARIF and GitHub workflow commands.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
)

// Formats lists the accepted --format values.
var formats = []string{"text", "json", "sarif", "github"}

// Formats returns the accepted --format values.
func Formats() []string { return append([]string(nil), formats...) }

// Summary counts findings by severity.
type Summary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
	Files    int `json:"files"`
}

// Summarize counts ds.
func Summarize(ds []diag.Diagnostic, files int) Summary {
	s := Summary{Files: files}
	for _, d := range ds {
		switch d.Severity {
		case diag.Error:
			s.Errors++
		case diag.Warning:
			s.Warnings++
		case diag.Info:
			s.Infos++
		}
	}
	return s
}

// Options tune the text output. JSON, SARIF and GitHub output always carry
// every finding.
type Options struct {
	Color bool
	// Summary replaces the closing line of the text output (the hook says
	// what the commit was checked for rather than the repository count).
	Summary string
	// Fold lists errors first, then warnings, then infos, and folds the
	// infos of one rule into one line with a count (check's default: a
	// repository's tens of tag/update-available and schema/missing would
	// bury its errors). Without it findings are written as given.
	Fold bool
	// Changed, when not nil, keeps only the infos located in these files
	// (the hook: it speaks when it blocks or warns, or about what the
	// commit touches); the summary says how many were left out.
	Changed []string
}

// Write renders ds in format.
func Write(w io.Writer, format string, ds []diag.Diagnostic, files int, opts Options) error {
	switch format {
	case "", "text":
		return writeText(w, ds, files, opts)
	case "json":
		return writeJSON(w, ds, files)
	case "sarif":
		return writeSARIF(w, ds)
	case "github":
		return writeGitHub(w, ds)
	}
	return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(formats, ", "))
}

const (
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	blue   = "\x1b[36m"
	dim    = "\x1b[2m"
	bold   = "\x1b[1m"
	reset  = "\x1b[0m"
)

func paint(on bool, code, s string) string {
	if !on {
		return s
	}
	return code + s + reset
}

func writeText(w io.Writer, all []diag.Diagnostic, files int, opts Options) error {
	ds, hidden := shown(all, opts)
	var counts map[int]foldCount // index in ds of a folded line -> what it stands for
	if opts.Fold {
		ds, counts = fold(ds)
	}
	for i, d := range ds {
		sev := d.Severity.String()
		switch d.Severity {
		case diag.Error:
			sev = paint(opts.Color, red+bold, sev)
		case diag.Warning:
			sev = paint(opts.Color, yellow+bold, sev)
		default:
			sev = paint(opts.Color, blue, sev)
		}
		if fc, ok := counts[i]; ok {
			fmt.Fprintf(w, "%s:%d:%d: %s: %s %s %s\n", paint(opts.Color, bold, d.File), d.Range.Start.Line, d.Range.Start.Col, sev, d.Message, paint(opts.Color, dim, "["+d.Rule+"]"),
				paint(opts.Color, dim, fmt.Sprintf("(1 of %d, in %d file%s; --verbose lists them)", fc.more+1, fc.files, plural(fc.files))))
			continue
		}
		fmt.Fprintf(w, "%s:%d:%d: %s: %s %s\n", paint(opts.Color, bold, d.File), d.Range.Start.Line, d.Range.Start.Col, sev, d.Message, paint(opts.Color, dim, "["+d.Rule+"]"))
		for _, r := range d.Related {
			fmt.Fprintf(w, "    %s:%d:%d: %s\n", r.File, r.Range.Start.Line, r.Range.Start.Col, r.Message)
		}
		for _, f := range d.Fixes {
			fmt.Fprintf(w, "    %s %s\n", paint(opts.Color, dim, "fix:"), f.Title)
		}
	}
	s := Summarize(all, files)
	line := fmt.Sprintf("%d error%s, %d warning%s, %d info in %d files", s.Errors, plural(s.Errors), s.Warnings, plural(s.Warnings), s.Infos, s.Files)
	if s.Errors == 0 && s.Warnings == 0 && s.Infos == 0 {
		line = fmt.Sprintf("no findings in %d files", s.Files)
	}
	if opts.Summary != "" {
		line = opts.Summary
	}
	if hidden > 0 {
		line += fmt.Sprintf("; %d info outside the changed files not shown (--verbose shows them)", hidden)
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

// shown drops the infos outside opts.Changed, when it is set, and counts
// them.
func shown(ds []diag.Diagnostic, opts Options) ([]diag.Diagnostic, int) {
	if opts.Changed == nil {
		return ds, 0
	}
	changed := make(map[string]bool, len(opts.Changed))
	for _, f := range opts.Changed {
		changed[f] = true
	}
	out := make([]diag.Diagnostic, 0, len(ds))
	for _, d := range ds {
		if d.Severity <= diag.Info && !changed[d.File] {
			continue
		}
		out = append(out, d)
	}
	return out, len(ds) - len(out)
}

// foldCount is what a folded info line stands for.
type foldCount struct{ more, files int }

// fold orders errors, then warnings, then infos (each in the given order)
// and keeps one info per rule, the first, with a count of the others.
func fold(ds []diag.Diagnostic) ([]diag.Diagnostic, map[int]foldCount) {
	var out []diag.Diagnostic
	for _, sev := range []diag.Severity{diag.Error, diag.Warning} {
		for _, d := range ds {
			if d.Severity == sev {
				out = append(out, d)
			}
		}
	}
	type group struct {
		first diag.Diagnostic
		n     int
		files map[string]bool
	}
	var order []string
	groups := map[string]*group{}
	for _, d := range ds {
		if d.Severity == diag.Error || d.Severity == diag.Warning {
			continue
		}
		g, ok := groups[d.Rule]
		if !ok {
			g = &group{first: d, files: map[string]bool{}}
			groups[d.Rule] = g
			order = append(order, d.Rule)
		}
		g.n++
		g.files[d.File] = true
	}
	counts := map[int]foldCount{}
	for _, rule := range order {
		g := groups[rule]
		if g.n > 1 {
			counts[len(out)] = foldCount{more: g.n - 1, files: len(g.files)}
		}
		out = append(out, g.first)
	}
	return out, counts
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

type jsonRelated struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

type jsonEdit struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	EndLine   int    `json:"endLine"`
	EndColumn int    `json:"endColumn"`
	NewText   string `json:"newText"`
}

type jsonFix struct {
	Title string `json:"title"`
	// Kind is "safe" (applied by --fix) or "choice" (offered, never applied unasked).
	Kind    string     `json:"kind"`
	Edits   []jsonEdit `json:"edits,omitempty"`
	Creates []string   `json:"creates,omitempty"`
	Deletes []string   `json:"deletes,omitempty"`
}

type jsonDiag struct {
	File      string        `json:"file"`
	Line      int           `json:"line"`
	Column    int           `json:"column"`
	EndLine   int           `json:"endLine"`
	EndColumn int           `json:"endColumn"`
	Severity  string        `json:"severity"`
	Rule      string        `json:"rule"`
	Message   string        `json:"message"`
	Related   []jsonRelated `json:"related,omitempty"`
	Fixes     []jsonFix     `json:"fixes,omitempty"`
}

// JSON converts diagnostics to the documented JSON shape.
func JSON(ds []diag.Diagnostic) []jsonDiag {
	out := make([]jsonDiag, 0, len(ds))
	for _, d := range ds {
		jd := jsonDiag{File: d.File, Line: d.Range.Start.Line, Column: d.Range.Start.Col,
			EndLine: d.Range.End.Line, EndColumn: d.Range.End.Col,
			Severity: d.Severity.String(), Rule: d.Rule, Message: d.Message}
		for _, r := range d.Related {
			jd.Related = append(jd.Related, jsonRelated{File: r.File, Line: r.Range.Start.Line, Column: r.Range.Start.Col, Message: r.Message})
		}
		for _, f := range d.Fixes {
			jf := jsonFix{Title: f.Title, Kind: f.Kind.String(), Deletes: f.Deletes}
			for _, e := range f.Edits {
				jf.Edits = append(jf.Edits, jsonEdit{File: e.File, Line: e.Range.Start.Line, Column: e.Range.Start.Col, EndLine: e.Range.End.Line, EndColumn: e.Range.End.Col, NewText: e.NewText})
			}
			for _, c := range f.Creates {
				jf.Creates = append(jf.Creates, c.File)
			}
			jd.Fixes = append(jd.Fixes, jf)
		}
		out = append(out, jd)
	}
	return out
}

func writeJSON(w io.Writer, ds []diag.Diagnostic, files int) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Diagnostics []jsonDiag `json:"diagnostics"`
		Summary     Summary    `json:"summary"`
	}{JSON(ds), Summarize(ds, files)})
}

// RuleURL is where a rule's documentation lives.
func RuleURL(id string) string {
	return "https://github.com/opencenter-cloud/gitops-hook/blob/main/docs/rules.md#" + strings.NewReplacer("/", "", "-", "-").Replace(id)
}

func sarifLevel(s diag.Severity) string {
	switch s {
	case diag.Error:
		return "error"
	case diag.Warning:
		return "warning"
	}
	return "note"
}

func writeSARIF(w io.Writer, ds []diag.Diagnostic) error {
	type region struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn"`
		EndLine     int `json:"endLine,omitempty"`
		EndColumn   int `json:"endColumn,omitempty"`
	}
	type location struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region region `json:"region"`
		} `json:"physicalLocation"`
	}
	type result struct {
		RuleID  string `json:"ruleId"`
		Level   string `json:"level"`
		Message struct {
			Text string `json:"text"`
		} `json:"message"`
		Locations []location `json:"locations"`
	}
	type rule struct {
		ID               string `json:"id"`
		ShortDescription struct {
			Text string `json:"text"`
		} `json:"shortDescription"`
		HelpURI              string `json:"helpUri"`
		DefaultConfiguration struct {
			Level string `json:"level"`
		} `json:"defaultConfiguration"`
	}
	var rs []rule
	for _, info := range catalog.All() {
		r := rule{ID: info.ID, HelpURI: RuleURL(info.ID)}
		r.ShortDescription.Text = info.Doc
		r.DefaultConfiguration.Level = sarifLevel(info.Severity)
		rs = append(rs, r)
	}
	results := []result{}
	for _, d := range ds {
		r := result{RuleID: d.Rule, Level: sarifLevel(d.Severity)}
		r.Message.Text = d.Message
		var l location
		l.PhysicalLocation.ArtifactLocation.URI = d.File
		l.PhysicalLocation.Region = region{d.Range.Start.Line, d.Range.Start.Col, d.Range.End.Line, d.Range.End.Col}
		r.Locations = []location{l}
		results = append(results, r)
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
	doc := map[string]any{
		"version": "2.1.0",
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"runs": []any{map[string]any{
			"tool":    map[string]any{"driver": map[string]any{"name": "gitops-hook", "informationUri": "https://github.com/opencenter-cloud/gitops-hook", "rules": rs}},
			"results": results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// githubEscape escapes workflow command data.
func githubEscape(s string, prop bool) string {
	r := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	s = r.Replace(s)
	if prop {
		s = strings.NewReplacer(":", "%3A", ",", "%2C").Replace(s)
	}
	return s
}

func writeGitHub(w io.Writer, ds []diag.Diagnostic) error {
	for _, d := range ds {
		cmd := "notice"
		switch d.Severity {
		case diag.Error:
			cmd = "error"
		case diag.Warning:
			cmd = "warning"
		}
		if _, err := fmt.Fprintf(w, "::%s file=%s,line=%d,col=%d,endLine=%d,endColumn=%d,title=%s::%s\n", cmd,
			githubEscape(d.File, true), d.Range.Start.Line, d.Range.Start.Col, d.Range.End.Line, d.Range.End.Col,
			githubEscape(d.Rule, true), githubEscape(d.Message, false)); err != nil {
			return err
		}
	}
	return nil
}

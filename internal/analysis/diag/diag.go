// Package diag holds the engine's plain-data vocabulary: positions,
// diagnostics and fixes. It knows nothing of LSP or terminals; front ends
// convert these types to their own.
package diag

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a position in a file. Line and Col are 1-based; Col counts
// characters (runes), Offset counts bytes from the start of the file.
type Pos struct {
	Line   int `json:"line"`
	Col    int `json:"column"`
	Offset int `json:"-"`
}

// Range is a half-open span [Start, End) in one file.
type Range struct {
	Start Pos
	End   Pos
}

// Severity of a finding. The zero value is invalid so that a forgotten
// severity is caught rather than silently treated as an error.
type Severity int

const (
	SeverityInvalid Severity = iota
	Off
	Info
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Off:
		return "off"
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return "invalid"
}

// ParseSeverity reads the configuration spelling of a severity.
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "off", "none", "ignore":
		return Off, nil
	case "info", "information", "hint":
		return Info, nil
	case "warning", "warn":
		return Warning, nil
	case "error":
		return Error, nil
	}
	return SeverityInvalid, fmt.Errorf("unknown severity %q (want error, warning, info or off)", s)
}

// Related points at another place that explains a finding, such as the
// base HelmRelease that an override fails to reach.
type Related struct {
	File    string
	Range   Range
	Message string
}

// Edit replaces Range in File with NewText. An empty range inserts.
type Edit struct {
	File    string
	Range   Range
	NewText string
}

// FileCreate creates (or overwrites) a file with Content.
type FileCreate struct {
	File    string
	Content string
}

// Fix is a change the engine proposes: text edits plus whole files created
// or deleted. Promotion and tag pins are fixes too.
type Fix struct {
	Title   string
	Edits   []Edit
	Creates []FileCreate
	Deletes []string
}

// Diagnostic is one finding. Rule is an ID from the rule catalog.
type Diagnostic struct {
	Rule     string
	Severity Severity
	File     string
	Range    Range
	Message  string
	Related  []Related
	Fixes    []Fix
}

// Sort orders diagnostics by file, line, column, rule and message so that
// output is stable across runs.
func Sort(ds []Diagnostic) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Range.Start.Line != b.Range.Start.Line {
			return a.Range.Start.Line < b.Range.Start.Line
		}
		if a.Range.Start.Col != b.Range.Start.Col {
			return a.Range.Start.Col < b.Range.Start.Col
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
}

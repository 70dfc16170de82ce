// Package diag holds the engine's plain-data vocabulary: positions,
// diagnostics and fixes. It knows nothing of LSP or terminals; front ends
// convert these types to their own.
package diag

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
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

// FixKind says whether a fix may be applied unasked.
type FixKind int

const (
	// Choice is a change of meaning the user must decide on: upgrade or
	// downgrade a tag, unsuspend, move a path to another environment, start
	// applying a file. It is the zero value, so a fix nobody classified is
	// never applied unasked.
	Choice FixKind = iota
	// Safe leaves the meaning unchanged or is certainly intended: quote a
	// tag, the one close match of a mistyped path, a name the base defines.
	Safe
)

func (k FixKind) String() string {
	if k == Safe {
		return "safe"
	}
	return "choice"
}

// Fix is a change the engine proposes: text edits plus whole files created
// or deleted. Promotion and tag pins are fixes too.
type Fix struct {
	Title   string
	Kind    FixKind
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

// Apply applies text edits of one file to src and returns the result.
// Identical edits (the same fix offered by two findings) count once;
// overlapping ones are an error, since their order would be a guess.
func Apply(src []byte, edits []Edit) ([]byte, error) {
	type span struct {
		start, end int
		text       string
	}
	spans := make([]span, 0, len(edits))
	for _, e := range edits {
		s, err := offsetOf(src, e.Range.Start)
		if err != nil {
			return nil, err
		}
		en, err := offsetOf(src, e.Range.End)
		if err != nil {
			return nil, err
		}
		if en < s {
			return nil, fmt.Errorf("edit ends before it starts (line %d)", e.Range.Start.Line)
		}
		if sp := (span{s, en, e.NewText}); !slices.Contains(spans, sp) {
			spans = append(spans, sp)
		}
	}
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var b bytes.Buffer
	last := 0
	for i, sp := range spans {
		// Two insertions at one point also overlap.
		if sp.start < last || (i > 0 && sp.start == sp.end && spans[i-1].start == sp.start && spans[i-1].end == sp.start) {
			return nil, fmt.Errorf("overlapping edits at line %d", lineOf(src, sp.start))
		}
		b.Write(src[last:sp.start])
		b.WriteString(sp.text)
		last = sp.end
	}
	b.Write(src[last:])
	return b.Bytes(), nil
}

// offsetOf turns a position into a byte offset, trusting Offset when it
// agrees with Line (positions built by yamlfile carry both).
func offsetOf(src []byte, p Pos) (int, error) {
	if p.Line <= 0 {
		if p.Offset < 0 || p.Offset > len(src) {
			return 0, fmt.Errorf("offset %d outside the file", p.Offset)
		}
		return p.Offset, nil
	}
	line, off := 1, 0
	for line < p.Line {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			if line+1 == p.Line && p.Col <= 1 {
				return len(src), nil
			}
			return 0, fmt.Errorf("line %d outside the file (%d lines)", p.Line, line)
		}
		off += i + 1
		line++
	}
	if p.Offset >= off && p.Offset <= len(src) && lineOf(src, p.Offset) == p.Line {
		return p.Offset, nil
	}
	col := 1
	for col < p.Col && off < len(src) && src[off] != '\n' {
		_, n := utf8.DecodeRune(src[off:])
		off += n
		col++
	}
	return off, nil
}

func lineOf(src []byte, off int) int { return bytes.Count(src[:off], []byte{'\n'}) + 1 }

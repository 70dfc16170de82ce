// Package yamlfile parses YAML files into documents with exact positions.
//
// It keeps yaml.v3 nodes (never expanding aliases, so alias bombs stay
// cheap), a line table for byte offsets, and computes the end of every node
// from the source text instead of guessing from the value's length.
package yamlfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	yaml "go.yaml.in/yaml/v3"
)

// Rule IDs produced while parsing.
const (
	RuleSyntax       = "yaml/syntax"
	RuleDuplicateKey = "yaml/duplicate-key"
)

// File is a parsed YAML file.
type File struct {
	Path  string // repository-relative, slash-separated
	Src   []byte
	Docs  []*Doc
	Diags []diag.Diagnostic // syntax and duplicate-key findings
	lines []int             // byte offset of the start of each line

	memoMu sync.Mutex
	memo   map[any]any // see Remember
}

// Remember keeps v as what the file's content gives for key (a value of a
// type of the caller's own, so that two callers never collide). A File is
// never changed once parsed, and the parse cache hands the same File to
// every analysis of the same content: what is computed from a file alone
// is computed once while the content lasts.
func (f *File) Remember(key, v any) {
	f.memoMu.Lock()
	defer f.memoMu.Unlock()
	if f.memo == nil {
		f.memo = map[any]any{}
	}
	f.memo[key] = v
}

// Recall returns what Remember kept for key.
func (f *File) Recall(key any) (any, bool) {
	f.memoMu.Lock()
	defer f.memoMu.Unlock()
	v, ok := f.memo[key]
	return v, ok
}

// Doc is one document of a multi-document file.
type Doc struct {
	Index int
	Root  *yaml.Node // the document's content (usually a mapping); never nil
}

// Parse parses src. It never fails: problems become diagnostics, and the
// documents before a syntax error are kept.
func Parse(path string, src []byte) *File {
	f := &File{Path: path, Src: src, lines: lineTable(src)}
	if bytes.IndexByte(src, 0) >= 0 {
		f.Diags = append(f.Diags, diag.Diagnostic{
			Rule: RuleSyntax, Severity: diag.Error, File: path,
			Range:   f.LineRange(1),
			Message: "file contains binary data (NUL bytes) and is not YAML",
		})
		return f
	}
	f.decode()
	for _, d := range f.Docs {
		if e := checkDocAliases(d.Root, MaxAliasNodes); e != nil {
			// Refused: every consumer would expand what callers read.
			f.Docs = nil
			f.Diags = append(f.Diags, diag.Diagnostic{
				Rule: RuleAliasExpansion, Severity: diag.Error, File: path,
				Range:   f.LineRange(e.Line),
				Message: "file is not analysed: " + e.Error(),
			})
			return f
		}
	}
	for _, d := range f.Docs {
		if e := checkDocMappings(d.Root); e != nil {
			// Refused: decoders of what callers read would not finish.
			rule := RuleSyntax
			if e.Pairs > MaxRepeatedKeyPairs {
				rule = RuleDuplicateKey
			}
			f.Docs = nil
			f.Diags = append(f.Diags, diag.Diagnostic{
				Rule: rule, Severity: diag.Error, File: path,
				Range:   f.LineRange(e.Line),
				Message: "file is not analysed: " + e.Error(),
			})
			return f
		}
	}
	for _, d := range f.Docs {
		f.checkDuplicates(d.Root)
	}
	return f
}

func (f *File) decode() {
	defer func() {
		if r := recover(); r != nil {
			f.Diags = append(f.Diags, diag.Diagnostic{
				Rule: RuleSyntax, Severity: diag.Error, File: f.Path,
				Range: f.LineRange(1), Message: fmt.Sprintf("YAML parser failed: %v", r),
			})
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(f.Src))
	for i := 0; ; i++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			f.Diags = append(f.Diags, f.syntaxDiag(err))
			return
		}
		root := &n
		if n.Kind == yaml.DocumentNode {
			if len(n.Content) == 0 {
				continue
			}
			root = n.Content[0]
		}
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue // an empty document ("---" alone, or "...")
		}
		f.Docs = append(f.Docs, &Doc{Index: i, Root: root})
	}
}

var anchorRE = regexp.MustCompile(`unknown anchor '([^']+)'`)

var errPrefixRE = regexp.MustCompile(`^yaml: (line \d+(:\d+)?: )?`)

var errLineRE = regexp.MustCompile(`line (\d+)(?::(\d+))?:`)

func (f *File) syntaxDiag(err error) diag.Diagnostic {
	msg := err.Error()
	line, col := 1, 0
	if m := errLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			col, _ = strconv.Atoi(m[2])
		}
	}
	// Parser errors count lines from zero (scanner errors do not).
	if strings.Contains(msg, "did not find expected") {
		line++
		// The parser names the block the error is in, not the line that
		// breaks it: find the line that dedents to no open level.
		if strings.Contains(msg, "expected key") || strings.Contains(msg, "expected '-' indicator") {
			if l := f.misindented(line); l > 0 {
				line, col = l, indentOf(f.LineText(l))+1
			}
		}
	}
	if m := anchorRE.FindStringSubmatch(msg); m != nil {
		if i := bytes.Index(f.Src, []byte("*"+m[1])); i >= 0 {
			line = f.PosOffset(i).Line
		}
	}
	// An error at the end of the stream points past the last line of text.
	for line > 1 && strings.TrimSpace(f.LineText(line)) == "" {
		line--
		col = 0
	}
	clean := errPrefixRE.ReplaceAllString(msg, "")
	r := f.LineRange(line)
	if col > 0 {
		r.Start = f.PosAt(line, col)
	}
	return diag.Diagnostic{
		Rule: RuleSyntax, Severity: diag.Error, File: f.Path, Range: r,
		Message: "YAML does not parse: " + clean,
	}
}

// misindented returns the first line after the block that starts on line
// start whose indentation returns to no level opened since, or 0.
func (f *File) misindented(start int) int {
	levels := []int{indentOf(f.LineText(start))}
	for l := start + 1; l <= f.LineCount(); l++ {
		text := f.LineText(l)
		trimmed := strings.TrimSpace(text)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		d := indentOf(text)
		if d < levels[0] || trimmed == "---" {
			return 0 // the block ended
		}
		popped := false
		for len(levels) > 1 && levels[len(levels)-1] > d {
			levels = levels[:len(levels)-1]
			popped = true
		}
		if top := levels[len(levels)-1]; top < d {
			if popped {
				return l // dedented between two open levels
			}
			levels = append(levels, d)
		}
	}
	return 0
}

func indentOf(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

func (f *File) checkDuplicates(n *yaml.Node) {
	// Walk without following aliases: each node is visited once.
	stack := []*yaml.Node{n}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Kind == yaml.MappingNode {
			seen := map[string]*yaml.Node{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind != yaml.ScalarNode || k.Value == "<<" {
					continue
				}
				if first, ok := seen[k.Value]; ok {
					f.Diags = append(f.Diags, diag.Diagnostic{
						Rule: RuleDuplicateKey, Severity: diag.Error, File: f.Path,
						Range:   f.NodeRange(k),
						Message: fmt.Sprintf("key %q is repeated (first at line %d); most tools keep only the last value", k.Value, first.Line),
						Related: []diag.Related{{File: f.Path, Range: f.NodeRange(first), Message: "first definition"}},
					})
					continue
				}
				seen[k.Value] = k
			}
		}
		stack = append(stack, n.Content...)
	}
}

func lineTable(src []byte) []int {
	lines := []int{0}
	for i, b := range src {
		if b == '\n' {
			lines = append(lines, i+1)
		}
	}
	return lines
}

// LineCount is the number of lines in the file.
func (f *File) LineCount() int { return len(f.lines) }

// LineText returns line (1-based) without its newline.
func (f *File) LineText(line int) string {
	if line < 1 || line > len(f.lines) {
		return ""
	}
	start := f.lines[line-1]
	end := len(f.Src)
	if line < len(f.lines) {
		end = f.lines[line] - 1
	}
	if end > start && f.Src[end-1] == '\r' {
		end--
	}
	if end < start {
		end = start
	}
	return string(f.Src[start:end])
}

// PosAt converts a 1-based line and character column into a Pos.
func (f *File) PosAt(line, col int) diag.Pos {
	if line < 1 {
		line = 1
	}
	if line > len(f.lines) {
		line = len(f.lines)
	}
	if col < 1 {
		col = 1
	}
	off := f.lines[line-1]
	for c := 1; c < col && off < len(f.Src) && f.Src[off] != '\n'; c++ {
		_, size := utf8.DecodeRune(f.Src[off:])
		off += size
	}
	return diag.Pos{Line: line, Col: col, Offset: off}
}

// PosOffset converts a byte offset into a Pos.
func (f *File) PosOffset(off int) diag.Pos {
	if off < 0 {
		off = 0
	}
	if off > len(f.Src) {
		off = len(f.Src)
	}
	lo, hi := 0, len(f.lines)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if f.lines[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	col := utf8.RuneCount(f.Src[f.lines[lo]:off]) + 1
	return diag.Pos{Line: lo + 1, Col: col, Offset: off}
}

// LineRange spans the text of one line, without leading indentation.
func (f *File) LineRange(line int) diag.Range {
	text := f.LineText(line)
	indent := len(text) - len(bytes.TrimLeft([]byte(text), " \t"))
	start := f.PosAt(line, 1)
	s := f.PosOffset(start.Offset + indent)
	e := f.PosOffset(start.Offset + len(text))
	if e.Offset <= s.Offset {
		s = start
	}
	return diag.Range{Start: s, End: e}
}

// NodeRange is the exact span of a node. For scalars it covers the value as
// written, quotes included; block scalars span their header line; for
// collections it covers the first line.
func (f *File) NodeRange(n *yaml.Node) diag.Range {
	if n == nil {
		return f.LineRange(1)
	}
	start := f.PosAt(n.Line, n.Column)
	if n.Kind != yaml.ScalarNode && n.Kind != yaml.AliasNode {
		if n.Style&yaml.FlowStyle != 0 {
			if end, ok := f.flowEnd(start.Offset); ok {
				return diag.Range{Start: start, End: f.PosOffset(end)}
			}
		}
		r := f.LineRange(n.Line)
		r.Start = start
		if r.End.Offset < start.Offset {
			r.End = start
		}
		return r
	}
	end := f.scalarEnd(start.Offset, n)
	return diag.Range{Start: start, End: f.PosOffset(end)}
}

// scalarEnd finds where the scalar beginning at off ends in the source.
func (f *File) scalarEnd(off int, n *yaml.Node) int {
	src := f.Src
	if off >= len(src) {
		return off
	}
	lineEnd := func(o int) int {
		for o < len(src) && src[o] != '\n' {
			o++
		}
		if o > 0 && o <= len(src) && o-1 >= 0 && o-1 < len(src) && src[o-1] == '\r' {
			o--
		}
		return o
	}
	i := off
	// Skip an anchor or tag written before the value.
	for i < len(src) && (src[i] == '&' || src[i] == '!') {
		for i < len(src) && src[i] != ' ' && src[i] != '\n' {
			i++
		}
		for i < len(src) && src[i] == ' ' {
			i++
		}
	}
	if i >= len(src) {
		return lineEnd(off)
	}
	switch src[i] {
	case '"':
		for j := i + 1; j < len(src); j++ {
			if src[j] == '\\' {
				j++
				continue
			}
			if src[j] == '"' {
				return j + 1
			}
		}
		return len(src)
	case '\'':
		for j := i + 1; j < len(src); j++ {
			if src[j] == '\'' {
				if j+1 < len(src) && src[j+1] == '\'' {
					j++
					continue
				}
				return j + 1
			}
		}
		return len(src)
	case '|', '>':
		return lineEnd(i)
	case '*':
		j := i + 1
		for j < len(src) && !isFlowEnd(src[j]) && src[j] != ' ' && src[j] != '\n' {
			j++
		}
		return j
	}
	// Plain scalar: single-line values end after the value's text.
	if !bytes.ContainsRune([]byte(n.Value), '\n') {
		if bytes.HasPrefix(src[i:], []byte(n.Value)) {
			return i + len(n.Value)
		}
		// Fall back to the end of the token on this line.
		j := i
		for j < len(src) && src[j] != '\n' && !(src[j] == ' ' && j+1 < len(src) && src[j+1] == '#') && !isFlowEnd(src[j]) {
			j++
		}
		for j > i && (src[j-1] == ' ' || src[j-1] == '\r') {
			j--
		}
		return j
	}
	return lineEnd(i)
}

func isFlowEnd(b byte) bool { return b == ',' || b == ']' || b == '}' }

// flowEnd finds the bracket closing a flow collection that starts at off.
func (f *File) flowEnd(off int) (int, bool) {
	depth := 0
	inQ := byte(0)
	for j := off; j < len(f.Src); j++ {
		c := f.Src[j]
		if inQ != 0 {
			if c == inQ {
				inQ = 0
			}
			continue
		}
		switch c {
		case '"', '\'':
			inQ = c
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return j + 1, true
			}
		}
	}
	return 0, false
}

// Lines indexes a file's lines without parsing it, for positions in
// non-YAML files.
func Lines(path string, src []byte) *File {
	return &File{Path: path, Src: src, lines: lineTable(src)}
}

package lsp

import (
	"unicode/utf16"
	"unicode/utf8"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// lines indexes the line starts of a text, so that positions can be
// converted between the engine's (1-based line, 1-based rune column), the
// protocol's (0-based line, UTF-16 code units) and byte offsets.
type lines struct {
	text   []byte
	starts []int
}

func newLines(text []byte) *lines {
	l := &lines{text: text, starts: []int{0}}
	for i, b := range text {
		if b == '\n' {
			l.starts = append(l.starts, i+1)
		}
	}
	return l
}

// line returns the bytes of 0-based line n without its line break; nil
// when n is out of range.
func (l *lines) line(n int) []byte {
	if n < 0 || n >= len(l.starts) {
		return nil
	}
	end := len(l.text)
	if n+1 < len(l.starts) {
		end = l.starts[n+1] - 1
	}
	s := l.text[l.starts[n]:end]
	if len(s) > 0 && s[len(s)-1] == '\r' {
		s = s[:len(s)-1]
	}
	return s
}

// offset converts a protocol position to a byte offset, clamping a
// position past the end of its line to the line end and a line past the
// end of the text to the end of the text. ok is false when it clamped.
func (l *lines) offset(p protocol.Position) (off int, ok bool) {
	n := int(p.Line)
	if n >= len(l.starts) {
		return len(l.text), false
	}
	start := l.starts[n]
	s := l.line(n)
	units := int(p.Character)
	i := 0
	for i < len(s) && units > 0 {
		r, size := utf8.DecodeRune(s[i:])
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if units < w {
			// In the middle of a surrogate pair: stay before the rune.
			break
		}
		units -= w
		i += size
	}
	return start + i, units == 0
}

// position converts a byte offset to a protocol position.
func (l *lines) position(off int) protocol.Position {
	off = max(0, min(off, len(l.text)))
	n := 0
	lo, hi := 0, len(l.starts)-1
	for lo <= hi {
		m := (lo + hi) / 2
		if l.starts[m] <= off {
			n, lo = m, m+1
		} else {
			hi = m - 1
		}
	}
	return protocol.Position{Line: uint32(n), Character: uint32(utf16Len(l.text[l.starts[n]:off]))}
}

// fromDiag converts an engine position (1-based line, 1-based rune
// column) to a protocol position. Columns past the line end count one unit
// per missing character, as the engine may point just past the last one.
func (l *lines) fromDiag(p diag.Pos) protocol.Position {
	n := max(p.Line-1, 0)
	col := max(p.Col-1, 0)
	s := l.line(n)
	units := 0
	for len(s) > 0 && col > 0 {
		r, size := utf8.DecodeRune(s)
		units += len(utf16.Encode([]rune{r}))
		s = s[size:]
		col--
	}
	return protocol.Position{Line: uint32(n), Character: uint32(units + col)}
}

// toDiag converts a protocol position to an engine position.
func (l *lines) toDiag(p protocol.Position) diag.Pos {
	off, _ := l.offset(p)
	n := int(p.Line)
	if n >= len(l.starts) {
		n = len(l.starts) - 1
	}
	return diag.Pos{Line: n + 1, Col: utf8.RuneCount(l.text[l.starts[n]:max(off, l.starts[n])]) + 1, Offset: off}
}

func (l *lines) rangeOf(r diag.Range) protocol.Range {
	return protocol.Range{Start: l.fromDiag(r.Start), End: l.fromDiag(r.End)}
}

// end is the position after the last character.
func (l *lines) end() protocol.Position { return l.position(len(l.text)) }

func utf16Len(b []byte) int {
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
		b = b[size:]
	}
	return n
}

// applyChange applies one incremental change to text.
func applyChange(text []byte, r protocol.Range, newText string) ([]byte, bool) {
	l := newLines(text)
	start, ok1 := l.offset(r.Start)
	end, ok2 := l.offset(r.End)
	if end < start {
		start, end = end, start
	}
	out := make([]byte, 0, len(text)-(end-start)+len(newText))
	out = append(out, text[:start]...)
	out = append(out, newText...)
	out = append(out, text[end:]...)
	return out, ok1 && ok2
}

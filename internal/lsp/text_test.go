package lsp

import (
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

func pos(line, char uint32) protocol.Position { return protocol.Position{Line: line, Character: char} }

func TestApplyChangeUTF16(t *testing.T) {
	// "é" is one UTF-16 unit and two bytes; "😀" two units and four bytes.
	text := []byte("a: é😀x\nb: 1\n")
	cases := []struct {
		r    protocol.Range
		new  string
		want string
	}{
		{protocol.Range{Start: pos(0, 6), End: pos(0, 7)}, "y", "a: é😀y\nb: 1\n"},
		{protocol.Range{Start: pos(0, 3), End: pos(0, 4)}, "e", "a: e😀x\nb: 1\n"},
		{protocol.Range{Start: pos(1, 3), End: pos(1, 4)}, "22", "a: é😀x\nb: 22\n"},
		{protocol.Range{Start: pos(0, 6), End: pos(1, 0)}, "", "a: é😀b: 1\n"},
		{protocol.Range{Start: pos(2, 0), End: pos(2, 0)}, "c: 3\n", "a: é😀x\nb: 1\nc: 3\n"},
	}
	for _, c := range cases {
		got, ok := applyChange(text, c.r, c.new)
		if string(got) != c.want || !ok {
			t.Errorf("apply %v %q: got %q (ok %v), want %q", c.r, c.new, got, ok, c.want)
		}
	}
	// Out of range: clamped, reported.
	got, ok := applyChange(text, protocol.Range{Start: pos(9, 0), End: pos(9, 4)}, "z")
	if ok || string(got) != string(text)+"z" {
		t.Errorf("out of range: got %q ok %v", got, ok)
	}
	got, ok = applyChange(text, protocol.Range{Start: pos(1, 40), End: pos(1, 50)}, "!")
	if ok || string(got) != "a: é😀x\nb: 1!\n" {
		t.Errorf("past line end: got %q ok %v", got, ok)
	}
}

func TestPositionsFromEngine(t *testing.T) {
	l := newLines([]byte("k: 😀é: v\r\nz\n"))
	// Rune column 7 is "v" after "k: 😀é: " (6 runes, 7 UTF-16 units).
	p := l.fromDiag(diag.Pos{Line: 1, Col: 7})
	if p != pos(0, 7) {
		t.Errorf("fromDiag = %v, want 0:7", p)
	}
	if d := l.toDiag(pos(0, 7)); d.Line != 1 || d.Col != 7 {
		t.Errorf("toDiag = %+v, want 1:7", d)
	}
	if p := l.position(len("k: 😀é: v\r\nz")); p != pos(1, 1) {
		t.Errorf("position = %v", p)
	}
	if e := l.end(); e != pos(2, 0) {
		t.Errorf("end = %v", e)
	}
	// Past the line end: one unit per missing character.
	if p := l.fromDiag(diag.Pos{Line: 2, Col: 3}); p != pos(1, 2) {
		t.Errorf("past end = %v", p)
	}
}

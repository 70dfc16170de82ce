package yamlfile

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
)

// watchdog ends the process with every goroutine's stack when one input
// runs longer than a minute: the fuzzer then keeps the input as a crasher,
// where a hang alone would only stall it.
func watchdog(t *testing.T, input any) {
	tm := time.AfterFunc(10*time.Second, func() {
		panic(fmt.Sprintf("input still running after a minute: %q", input))
	})
	t.Cleanup(func() { tm.Stop() })
}

// checkPos fails unless p is a position inside f whose line, column and
// offset agree with each other.
func checkPos(t *testing.T, f *File, what string, p diag.Pos) {
	t.Helper()
	if p.Offset < 0 || p.Offset > len(f.Src) {
		t.Fatalf("%s: offset %d outside [0, %d]", what, p.Offset, len(f.Src))
	}
	if p.Line < 1 || p.Line > f.LineCount() || p.Col < 1 {
		t.Fatalf("%s: line %d column %d outside the file (%d lines)", what, p.Line, p.Col, f.LineCount())
	}
	if q := f.PosOffset(p.Offset); q.Line != p.Line {
		t.Fatalf("%s: offset %d is on line %d, not %d", what, p.Offset, q.Line, p.Line)
	}
}

func checkRange(t *testing.T, f *File, what string, r diag.Range) {
	t.Helper()
	checkPos(t, f, what+" start", r.Start)
	checkPos(t, f, what+" end", r.End)
	if r.End.Offset < r.Start.Offset {
		t.Fatalf("%s: ends at %d before it starts at %d", what, r.End.Offset, r.Start.Offset)
	}
}

var fuzzYAML = []string{
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: \"b\"\n  c: 'd''e'\n",
	"a: &x [1, 2, {b: c}]\nb: *x\nc: !!str 3\nd: |\n  text\n  more\ne: >-\n  folded\n",
	"- a\n- b: c\n  d: [e, 'f', \"g\"]\n---\nk: v\n...\n",
	"\ufeffkey: value\r\nother: \"é😀\"\r\n",
	"a: b\na: c\n",
	"a:\n  b: c\n d: e\n",
	"k: \"unterminated\n",
	"x: *nowhere\n",
	"{a: [b, {c: d}], e: f}",
	"a: b # comment\nc:    d   \n",
	"bin: \x00\x01",
	"\xff\xfe: \xc3\x28\n",
}

// FuzzParse: whatever the bytes, parsing never panics, every finding and
// every node has a range inside the file, and offsets, lines and columns
// convert back and forth.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzYAML {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		watchdog(t, src)
		file := Parse("f.yaml", src)
		if file.LineCount() < 1 {
			t.Fatal("no lines")
		}
		for _, d := range file.Diags {
			checkRange(t, file, d.Rule, d.Range)
			for _, r := range d.Related {
				checkRange(t, file, d.Rule+" related", r.Range)
			}
		}
		nodes := 0
		for _, d := range file.Docs {
			if d.Root == nil {
				t.Fatal("document without root")
			}
			Walk(d.Root, func(n *Node) {
				if nodes++; nodes > 10000 {
					return
				}
				checkRange(t, file, "node "+n.Value, file.NodeRange(n))
			})
		}
		// Offsets at rune starts survive a round trip through line and column.
		// (At most about 500 of them: PosAt walks its line.)
		step := max(1, len(src)/500)
		for off := 0; off <= len(src); off += step {
			if off < len(src) && !utf8.RuneStart(src[off]) {
				continue
			}
			p := file.PosOffset(off)
			checkPos(t, file, "PosOffset", p)
			if q := file.PosAt(p.Line, p.Col); q.Offset != off {
				t.Fatalf("PosAt(PosOffset(%d) = %d:%d) = %d", off, p.Line, p.Col, q.Offset)
			}
		}
		for l := 0; l <= file.LineCount()+1; l++ {
			if strings.ContainsRune(file.LineText(l), '\n') {
				t.Fatalf("line %d holds a line break", l)
			}
			checkRange(t, file, "line "+strconv.Itoa(l), file.LineRange(l))
		}
	})
}

// FuzzFindPointer: the JSON-pointer-to-source mapper. Whatever the document
// and the pointer, FindPointer never panics, returns a node of the
// document with a range inside the file, and reports a pointer complete
// only when the decoded document has a value at it.
func FuzzFindPointer(f *testing.F) {
	for _, s := range []struct{ src, ptr string }{
		{"spec:\n  template:\n    spec:\n      containers:\n        - name: a\n          image: b\n", "/spec/template/spec/containers/0/image"},
		{"a: [x, y, z]\n", "/a/2"},
		{"a: [x, y, z]\n", "/a/3"},
		{"a: [x]\n", "/a/18446744073709551616"},
		{"a: [x]\n", "/a/-1"},
		{"a: [x]\n", "/a/01"},
		{"a~b: {c/d: 1}\n", "/a~0b/c~1d"},
		{"base: &b {k: v}\nother: *b\n", "/other/k"},
		{"m:\n  <<: {k: v}\n", "/m/k"},
		{"a: b\na: c\n", "/a"},
		{"1: one\n", "/1"},
		{"- - - deep\n", "/0/0/0"},
		{"a: 1\n", ""},
		{"a: 1\n", "/"},
	} {
		f.Add([]byte(s.src), s.ptr)
	}
	f.Fuzz(func(t *testing.T, src []byte, ptr string) {
		watchdog(t, src)
		file := Parse("f.yaml", src)
		if len(file.Docs) == 0 {
			return
		}
		segs := splitPointer(ptr)
		for _, s := range segs {
			if s == "<<" {
				return // a merge key: rendered documents hold none
			}
		}
		for _, d := range file.Docs {
			n, complete := FindPointer(d.Root, segs)
			if n == nil {
				t.Fatalf("FindPointer(%q) returned no node", ptr)
			}
			checkRange(t, file, "pointer "+ptr, file.NodeRange(n))
			if !complete {
				continue
			}
			var doc any
			if d.Root.Decode(&doc) != nil {
				continue // the decoder refuses what the node tree holds (e.g. a bad merge)
			}
			if !hasValue(doc, segs) {
				t.Fatalf("FindPointer(%q) says complete, the decoded document %v has no value there", ptr, doc)
			}
		}
	})
}

// splitPointer splits a JSON pointer as the schema validator does.
func splitPointer(p string) []string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return segs
}

// hasValue walks a decoded document by JSON pointer segments.
func hasValue(cur any, segs []string) bool {
	for _, s := range segs {
		switch t := cur.(type) {
		case map[string]any:
			v, ok := t[s]
			if !ok {
				return false
			}
			cur = v
		case map[any]any:
			var found bool
			for k := range t {
				if _, ok := k.(string); !ok {
					return true // a key that is no string: decoding keeps its value, not its spelling ("~")
				}
			}
			for k, v := range t {
				if ks, ok := k.(string); ok && ks == s {
					cur, found = v, true
					break
				}
			}
			if !found {
				return false
			}
		case []any:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(t) {
				return false
			}
			cur = t[i]
		default:
			return false
		}
	}
	return true
}

package yamlfile

import (
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// span returns the source text a node's range covers.
func span(f *File, path ...string) string {
	_, n := GetKV(f.Docs[0].Root, path...)
	r := f.NodeRange(n)
	return string(f.Src[r.Start.Offset:r.End.Offset])
}

func TestNodeRangeCoversTheValueAsWritten(t *testing.T) {
	src := "a: plain value\n" +
		"b: \"double \\\" quoted\" # comment\n" +
		"c: 'single ''quoted'''\n" +
		"d: |\n  block\n  text\n" +
		"e: [x, y]\n" +
		"f: &anchor anchored\n" +
		"g: héllo wörld\n" +
		"h: {k: v}\n"
	f := Parse("t.yaml", []byte(src))
	if len(f.Diags) > 0 {
		t.Fatal(f.Diags)
	}
	for _, tc := range []struct{ key, want string }{
		{"a", "plain value"},
		{"b", `"double \" quoted"`},
		{"c", "'single ''quoted'''"},
		{"d", "|"},
		{"e", "[x, y]"},
		{"f", "&anchor anchored"},
		{"g", "héllo wörld"},
		{"h", "{k: v}"},
	} {
		if got := span(f, tc.key); got != tc.want {
			t.Errorf("%s: span %q, want %q", tc.key, got, tc.want)
		}
	}
	// Columns count characters, not bytes.
	_, g := GetKV(f.Docs[0].Root, "g")
	r := f.NodeRange(g)
	if r.Start.Col != 4 || r.End.Col != 4+len([]rune("héllo wörld")) {
		t.Errorf("columns %d-%d", r.Start.Col, r.End.Col)
	}
}

func TestSyntaxErrorLines(t *testing.T) {
	for _, tc := range []struct {
		src  string
		line int
	}{
		{"a: 1\nb: [x\n", 2},
		{"a: 1\nb: 2\n  c: 3\n", 3},
		{"a: 1\n- b\n", 2},
		{"a:\n  b: 1\n c: 2\n", 3},
		{"a: 1\nb: *nope\n", 2},
		{"ok: 1\n---\nbad: [\n", 3},
		// A line that dedents between two open levels, below the block the
		// parser names.
		{"grafana:\n  ingress:\n    enabled: true\n   hosts:\n      - a\n", 4},
		{"spec:\n  template:\n    spec:\n      containers:\n        - name: a\n\n     image: b\n", 7},
		{"a:\n  b: |\n    x\n      y\n    z\n  c: 1\n d: 2\n", 7},
	} {
		f := Parse("t.yaml", []byte(tc.src))
		if len(f.Diags) != 1 || f.Diags[0].Rule != RuleSyntax {
			t.Errorf("%q: diags %v", tc.src, f.Diags)
			continue
		}
		if got := f.Diags[0].Range.Start.Line; got != tc.line {
			t.Errorf("%q: line %d, want %d (%s)", tc.src, got, tc.line, f.Diags[0].Message)
		}
	}
}

func TestDocumentsBeforeAnErrorAreKept(t *testing.T) {
	f := Parse("t.yaml", []byte("a: 1\n---\nb: 2\n---\nc: [\n"))
	if len(f.Docs) != 2 || len(f.Diags) != 1 {
		t.Errorf("docs %d diags %v", len(f.Docs), f.Diags)
	}
}

func TestDuplicateKeys(t *testing.T) {
	f := Parse("t.yaml", []byte("a: 1\nm:\n  x: 1\n  x: 2\n<<: {}\n<<: {}\n"))
	if len(f.Diags) != 1 || f.Diags[0].Rule != RuleDuplicateKey || f.Diags[0].Range.Start.Line != 4 {
		t.Fatalf("diags %v", f.Diags)
	}
	if f.Diags[0].Related[0].Range.Start.Line != 3 {
		t.Errorf("related %v", f.Diags[0].Related)
	}
}

func TestAliasBombIsNotExpanded(t *testing.T) {
	var b strings.Builder
	b.WriteString("a: &a [x,x,x,x,x,x,x,x,x,x]\n")
	for c := 'b'; c <= 'z'; c++ {
		p := string(c - 1)
		b.WriteString(string(c) + ": &" + string(c) + " [*" + p + ",*" + p + ",*" + p + ",*" + p + ",*" + p + ",*" + p + ",*" + p + ",*" + p + ",*" + p + ",*" + p + "]\n")
	}
	// Parse refuses the file (TestParseRefusesAliasBomb): walk the nodes
	// the decoder makes.
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(b.String()), &root); err != nil {
		t.Fatal(err)
	}
	n := 0
	Walk(&root, func(*Node) { n++ })
	if n > 1000 {
		t.Errorf("walk visited %d nodes: aliases were expanded", n)
	}
}

func TestPosOffsetRoundTrip(t *testing.T) {
	f := Parse("t.yaml", []byte("a: é\nbb: ü\r\nccc: 3"))
	for off := 0; off <= len(f.Src); off++ {
		p := f.PosOffset(off)
		if q := f.PosAt(p.Line, p.Col); q.Offset != off && f.Src[min(off, len(f.Src)-1)]&0xC0 != 0x80 {
			t.Errorf("offset %d -> %d:%d -> %d", off, p.Line, p.Col, q.Offset)
		}
	}
	if got := f.LineText(2); got != "bb: ü" {
		t.Errorf("LineText(2) = %q", got)
	}
}

func TestFindPointer(t *testing.T) {
	f := Parse("t.yaml", []byte("spec:\n  containers:\n    - name: a\n      image: x\n"))
	n, ok := FindPointer(f.Docs[0].Root, []string{"spec", "containers", "0", "image"})
	if !ok || n.Line != 4 {
		t.Errorf("got line %d ok %v", n.Line, ok)
	}
	n, ok = FindPointer(f.Docs[0].Root, []string{"spec", "containers", "0", "ports"})
	if ok || n == nil {
		t.Errorf("partial pointer: %v %v", n, ok)
	}
}

func TestRememberIsPerFileAndKey(t *testing.T) {
	type keyA struct{}
	type keyB struct{}
	a, b := Parse("a.yaml", []byte("x: 1\n")), Parse("a.yaml", []byte("x: 1\n"))
	if _, ok := a.Recall(keyA{}); ok {
		t.Fatal("a new file recalls something")
	}
	a.Remember(keyA{}, 1)
	if v, ok := a.Recall(keyA{}); !ok || v != 1 {
		t.Fatalf("Recall(keyA) = %v, %v; want 1, true", v, ok)
	}
	if _, ok := a.Recall(keyB{}); ok {
		t.Fatal("another key type recalls keyA's value")
	}
	if _, ok := b.Recall(keyA{}); ok {
		t.Fatal("another File of the same content recalls a's value")
	}
}

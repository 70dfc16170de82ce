package promote

import (
	"math/rand"
	"strings"
	"testing"
)

// patch rebuilds the new text from the old one and the edit script.
func rebuild(a, b []string, ops []op) (string, string) {
	var oldS, newS strings.Builder
	for _, o := range ops {
		switch o.kind {
		case opEq:
			oldS.WriteString(a[o.a])
			newS.WriteString(a[o.a])
			if a[o.a] != b[o.b] {
				return "mismatch", ""
			}
		case opDel:
			oldS.WriteString(a[o.a])
		case opIns:
			newS.WriteString(b[o.b])
		}
	}
	return oldS.String(), newS.String()
}

func TestDiffLinesRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	words := []string{"a\n", "b\n", "c\n", "d\n"}
	for i := 0; i < 500; i++ {
		var a, b []string
		for j := r.Intn(12); j > 0; j-- {
			a = append(a, words[r.Intn(len(words))])
		}
		for j := r.Intn(12); j > 0; j-- {
			b = append(b, words[r.Intn(len(words))])
		}
		ops := diffLines(a, b)
		o, n := rebuild(a, b, ops)
		if o != strings.Join(a, "") || n != strings.Join(b, "") {
			t.Fatalf("%q -> %q: script rebuilds %q -> %q", a, b, o, n)
		}
	}
}

func TestUnifiedDiff(t *testing.T) {
	c := Change{File: "k.yaml", Before: []byte("a\nb\nc\nd\ne\nf\ng\nh\n"), After: []byte("a\nb\nc\nD\ne\nf\ng\nh\ni")}
	want := "--- a/k.yaml\n+++ b/k.yaml\n@@ -1,8 +1,9 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n h\n+i\n\\ No newline at end of file\n"
	if got := UnifiedDiff(c); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if got := UnifiedDiff(Change{File: "n.yaml", After: []byte("x\n")}); got != "--- /dev/null\n+++ b/n.yaml\n@@ -0,0 +1 @@\n+x\n" {
		t.Errorf("create:\n%s", got)
	}
	if got := UnifiedDiff(Change{File: "n.yaml", Before: []byte("x\n")}); got != "--- a/n.yaml\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n" {
		t.Errorf("delete:\n%s", got)
	}
}

package yamlfile

import (
	"fmt"
	"strings"
	"testing"
)

// aliasBomb writes levels anchors, each a sequence of width aliases to the
// one before: width^levels nodes once expanded.
func aliasBomb(levels, width int) string {
	var b strings.Builder
	b.WriteString("l0: &l0 [" + strings.TrimSuffix(strings.Repeat(`"lol",`, width), ",") + "]\n")
	for i := 1; i < levels; i++ {
		b.WriteString(fmt.Sprintf("l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), width), ",")))
	}
	return b.String()
}

func TestCheckAliases(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		line      int // 0: accepted
		cycle     bool
	}{
		{"no alias", "a: 1\nb: '*not an alias'\n", 0, false},
		{"ordinary anchors", "base: &base {a: 1, b: 2}\none:\n  <<: *base\ntwo: *base\n", 0, false},
		{"small bomb under budget", aliasBomb(4, 9), 0, false},
		{"nine by nine", aliasBomb(10, 9), 6, false},
		{"cycle", "a: &a [1, *a]\n", 1, true},
		{"bomb in second document", "a: 1\n---\n" + aliasBomb(10, 9), 8, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := CheckAliases([]byte(tc.src), MaxAliasNodes)
			if tc.line == 0 {
				if e != nil {
					t.Fatalf("refused: %v", e)
				}
				return
			}
			if e == nil {
				t.Fatal("accepted")
			}
			if e.Line != tc.line || e.Cycle != tc.cycle {
				t.Errorf("line %d cycle %v, want line %d cycle %v (%v)", e.Line, e.Cycle, tc.line, tc.cycle, e)
			}
		})
	}
}

func TestParseRefusesAliasBomb(t *testing.T) {
	src := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\n" + aliasBomb(10, 9)
	f := Parse("bomb.yaml", []byte(src))
	if len(f.Docs) != 0 {
		t.Errorf("%d documents kept from a refused file", len(f.Docs))
	}
	if len(f.Diags) != 1 || f.Diags[0].Rule != RuleAliasExpansion || f.Diags[0].Range.Start.Line != 11 {
		t.Fatalf("diags = %+v, want one %s at line 11", f.Diags, RuleAliasExpansion)
	}
	if !strings.Contains(f.Diags[0].Message, "100000 nodes") {
		t.Errorf("message %q does not give the budget", f.Diags[0].Message)
	}
}

// BenchmarkCheckAliases measures the check on the nine-by-nine bomb, which
// expands to 435 million nodes.
func BenchmarkCheckAliases(b *testing.B) {
	src := []byte(aliasBomb(10, 9))
	for b.Loop() {
		if CheckAliases(src, MaxAliasNodes) == nil {
			b.Fatal("accepted")
		}
	}
}

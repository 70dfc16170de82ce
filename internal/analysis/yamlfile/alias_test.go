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

func TestMappingLimits(t *testing.T) {
	wide := func(n int, key func(i int) string) []byte {
		var b strings.Builder
		b.WriteString("kind: ConfigMap\ndata: {")
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(key(i) + ": v")
		}
		b.WriteString("}\n")
		return []byte(b.String())
	}
	distinct := func(i int) string { return fmt.Sprintf("k%d", i) }
	same := func(int) string { return "k" }
	for _, c := range []struct {
		name  string
		src   []byte
		rule  string
		wants string
	}{
		{"10,000 keys", wide(MaxMappingKeys, distinct), "", ""},
		{"10,001 keys", wide(MaxMappingKeys+1, distinct), RuleSyntax, "has 10001 keys"},
		{"447 copies of a key", wide(447, same), RuleDuplicateKey, ""}, // 99,681 pairs: each reported
		{"448 copies of a key", wide(448, same), RuleDuplicateKey, "more than 100000 pairs"},
		{"block mapping", []byte("a:\n" + strings.Repeat("  k: v\n", 1000)), RuleDuplicateKey, "more than 100000 pairs"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := CheckMappings(c.src)
			if (e != nil) != (c.wants != "") {
				t.Fatalf("CheckMappings = %v", e)
			}
			f := Parse("f.yaml", c.src)
			refused := len(f.Docs) == 0
			if refused != (c.wants != "") {
				t.Fatalf("Parse refused = %v: %+v", refused, f.Diags)
			}
			if c.wants != "" && (len(f.Diags) != 1 || f.Diags[0].Rule != c.rule || !strings.Contains(f.Diags[0].Message, c.wants)) {
				t.Fatalf("Parse: %+v", f.Diags)
			}
			if c.wants == "" && c.rule != "" && len(f.Diags) != 446 {
				t.Fatalf("%d findings, want one per repeated key", len(f.Diags))
			}
		})
	}
}

// TestCheckLimitsIsBothChecks: one decoding gives what CheckAliases (at
// MaxAliasNodes) and then CheckMappings give, alias errors first.
func TestCheckLimitsIsBothChecks(t *testing.T) {
	manyKeys := "b:\n" + strings.Repeat("  k: v\n", 1000)
	for name, src := range map[string]string{
		"plain":              "a: 1\n",
		"alias under budget": "a: &x 1\nb: *x\n",
		"alias bomb":         aliasBomb(10, 9),
		"repeated keys":      manyKeys,
		"bomb after keys":    manyKeys + "---\n" + aliasBomb(10, 9),
		"keys in second doc": "a: 1\n---\n" + manyKeys,
		"does not parse":     "a: [\n" + strings.Repeat("b: c\n", 500),
		"star without alias": "host: '*.example.com'\n",
	} {
		var want error
		if e := CheckAliases([]byte(src), MaxAliasNodes); e != nil {
			want = e
		} else if e := CheckMappings([]byte(src)); e != nil {
			want = e
		}
		got := CheckLimits([]byte(src))
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: CheckLimits = %v, want %v", name, got, want)
		}
		if got != nil && fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) {
			t.Errorf("%s: %T, want %T", name, got, want)
		}
	}
}

// BenchmarkCheckLimits compares one decoding for both checks with the two
// checks in turn, on a 1,000-line file with a "*" in it (a wildcard host):
// both checks decode it.
func BenchmarkCheckLimits(b *testing.B) {
	src := []byte("hosts: ['*.example.com']\n" + strings.Repeat("key: value\n", 1000))
	b.Run("CheckLimits", func(b *testing.B) {
		for b.Loop() {
			_ = CheckLimits(src)
		}
	})
	b.Run("CheckAliases+CheckMappings", func(b *testing.B) {
		for b.Loop() {
			_ = CheckAliases(src, MaxAliasNodes)
			_ = CheckMappings(src)
		}
	})
}

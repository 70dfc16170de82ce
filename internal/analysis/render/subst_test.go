package render

import "testing"

func TestSubstitute(t *testing.T) {
	vars := map[string]string{"A": "1", "EMPTY": ""}
	tests := []struct{ in, want string }{
		{"x: ${A}", "x: 1"},
		{"x: ${MISSING}", "x: "},
		{"x: ${MISSING:=d}", "x: d"},
		{"x: ${EMPTY:=d}", "x: d"},
		{"x: ${EMPTY:-d}", "x: d"},
		{"x: ${EMPTY=d}", "x: "},
		{"x: ${MISSING-d}", "x: d"},
		{"x: ${A:=d}", "x: 1"},
		{"x: $${A}", "x: ${A}"},
		{"x: $A", "x: $A"},
		{"x: ${1A}", "x: ${1A}"},
		{"x: ${A", "x: ${A"},
		{"a-${A}-${A}", "a-1-1"},
		{"claim: ${MISSING:-${A}}", "claim: 1"},
		{"claim: ${MISSING:-\"${A}-data\"}", "claim: \"1-data\""},
		{"claim: ${A:-${MISSING}}-x", "claim: 1-x"},
		{"deep: ${M1:-${M2:-${A}}}!", "deep: 1!"},
		{"open: ${M1:-${A}", "open: ${M1:-${A}"},
	}
	for _, tt := range tests {
		if got := substitute(tt.in, vars, false); got != tt.want {
			t.Errorf("substitute(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSubstituteKeepUndefined(t *testing.T) {
	vars := map[string]string{"A": "1"}
	tests := []struct{ in, want string }{
		{"x: ${A}", "x: 1"},
		{"x: ${MISSING}", "x: ${MISSING}"},
		{"x: ${MISSING:=d}", "x: d"},
		{"x: ${A}-${MISSING}", "x: 1-${MISSING}"},
	}
	for _, tt := range tests {
		if got := substitute(tt.in, vars, true); got != tt.want {
			t.Errorf("substitute(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

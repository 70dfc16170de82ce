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
	}
	for _, tt := range tests {
		if got := substitute(tt.in, vars); got != tt.want {
			t.Errorf("substitute(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

package schema

import (
	"strings"
	"testing"
)

// TestEmbeddedCELRulesParse: the CEL rules of the embedded Flux CRDs are in
// the part of CEL this package evaluates, but for macros over lists (one
// rule of ArtifactGenerator), so none is skipped silently.
func TestEmbeddedCELRulesParse(t *testing.T) {
	schemas, err := fluxSchemas()
	if err != nil {
		t.Fatal(err)
	}
	total, parsed := 0, 0
	var count func(v any)
	count = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				if k == "x-kubernetes-validations" {
					for _, r := range y.([]any) {
						total++
						src, _ := r.(map[string]any)["rule"].(string)
						if _, err := parseCEL(src); err != nil && !strings.Contains(src, ".all(") {
							t.Errorf("rule %q: %v", src, err)
						}
					}
					continue
				}
				count(y)
			}
		case []any:
			for _, y := range x {
				count(y)
			}
		}
	}
	for _, s := range schemas {
		count(s)
		parsed += len(celRules(s))
	}
	if total < 20 || parsed < total-1 {
		t.Errorf("%d rules, %d parsed", total, parsed)
	}
}

func TestCEL(t *testing.T) {
	for _, c := range []struct {
		rule string
		self map[string]any
		want any // true, false, or nil for "cannot evaluate"
	}{
		{"has(self.a) || has(self.b)", map[string]any{"a": 1}, true},
		{"has(self.a) || has(self.b)", map[string]any{}, false},
		{"!has(self.a) || !has(self.b)", map[string]any{"a": 1, "b": 2}, false},
		{"self.type == 'github' || !has(self.x)", map[string]any{"type": "slack", "x": 1}, false},
		{"self.type != 'oidc' || (has(self.p) && size(self.p) > 0)", map[string]any{"type": "oidc", "p": []any{}}, false},
		{"self.type != 'oidc' || (has(self.p) && size(self.p) > 0)", map[string]any{"type": "oidc", "p": []any{1}}, true},
		{"self.missing == 'x' || true", map[string]any{}, true}, // an error absorbed by ||
		{"self.missing == 'x'", map[string]any{}, nil},
		{"!has(self.sts) || self.sts.provider != 'aws'", map[string]any{"sts": map[string]any{"provider": "aws"}}, false},
	} {
		e, err := parseCEL(c.rule)
		if err != nil {
			t.Errorf("%s: %v", c.rule, err)
			continue
		}
		got, err := e.eval(c.self)
		if err != nil {
			got = nil
		}
		if got != c.want {
			t.Errorf("%s on %v = %v, want %v", c.rule, c.self, got, c.want)
		}
	}
	for _, bad := range []string{"self.items.all(i, i > 0)", "self.x.matches('a')", "'unterminated", "has(self)"} {
		if _, err := parseCEL(bad); err == nil {
			t.Errorf("%q parsed, want unsupported", bad)
		}
	}
}

package schema

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// The x-kubernetes-validations (CEL) rules of a CRD cannot be expressed in a
// JSON schema. The Flux CRDs use a small part of CEL: has(), field access on
// self, string and integer literals, comparison, size(), !, && and ||.
// That part is evaluated here, without a CEL runtime; a rule using anything
// else does not parse and is skipped (the API server would still check it).

// celRule is one x-kubernetes-validations entry, at the schema node found by
// following path from the root ("*" stands for any item of an array).
type celRule struct {
	path    []string
	expr    celExpr
	message string
}

// celRules collects the rules of a (JSON-decoded) schema that parse.
func celRules(s map[string]any) []celRule {
	var out []celRule
	var walk func(n map[string]any, path []string)
	walk = func(n map[string]any, path []string) {
		if rules, ok := n["x-kubernetes-validations"].([]any); ok {
			for _, r := range rules {
				rm, _ := r.(map[string]any)
				src, _ := rm["rule"].(string)
				e, err := parseCEL(src)
				if err != nil {
					continue
				}
				msg, _ := rm["message"].(string)
				if msg == "" {
					msg = "failed rule: " + src
				}
				out = append(out, celRule{path: append([]string(nil), path...), expr: e, message: msg})
			}
		}
		if props, ok := n["properties"].(map[string]any); ok {
			for name, p := range props {
				if pm, ok := p.(map[string]any); ok {
					walk(pm, append(path, name))
				}
			}
		}
		if items, ok := n["items"].(map[string]any); ok {
			walk(items, append(path, "*"))
		}
	}
	walk(s, nil)
	return out
}

// check evaluates the rule at every node of obj its path reaches. A rule
// that cannot be evaluated (a value of an unexpected type) is not a
// finding: the schema reports the type.
func (r celRule) check(obj any) []Violation {
	var out []Violation
	var visit func(v any, i int, at []string)
	visit = func(v any, i int, at []string) {
		if i == len(r.path) {
			if res, err := r.expr.eval(v); err == nil && res == false {
				out = append(out, Violation{Kind: Invalid, Path: append([]string(nil), at...), Message: r.message})
			}
			return
		}
		if r.path[i] == "*" {
			items, _ := v.([]any)
			for k, x := range items {
				visit(x, i+1, append(at, strconv.Itoa(k)))
			}
			return
		}
		m, _ := v.(map[string]any)
		if x, ok := m[r.path[i]]; ok && x != nil {
			visit(x, i+1, append(at, r.path[i]))
		}
	}
	visit(obj, 0, []string{})
	return out
}

// celExpr is a parsed expression; eval returns its value for self.
type celExpr interface {
	eval(self any) (any, error)
}

type (
	celLit   struct{ v any }
	celField struct{ path []string } // self.a.b
	celHas   struct{ f celField }
	celSize  struct{ x celExpr }
	celNot   struct{ x celExpr }
	celBin   struct {
		op   string
		l, r celExpr
	}
)

var errCEL = fmt.Errorf("no value")

func (e celLit) eval(any) (any, error) { return e.v, nil }

func (e celField) eval(self any) (any, error) {
	cur := self
	for _, p := range e.path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, errCEL
		}
		if cur, ok = m[p]; !ok {
			return nil, errCEL
		}
	}
	return cur, nil
}

func (e celHas) eval(self any) (any, error) {
	parent, err := celField{e.f.path[:len(e.f.path)-1]}.eval(self)
	if err != nil {
		return nil, err
	}
	m, ok := parent.(map[string]any)
	if !ok {
		return nil, errCEL
	}
	_, has := m[e.f.path[len(e.f.path)-1]]
	return has, nil
}

func (e celSize) eval(self any) (any, error) {
	v, err := e.x.eval(self)
	if err != nil {
		return nil, err
	}
	switch t := v.(type) {
	case string:
		return float64(len([]rune(t))), nil
	case []any:
		return float64(len(t)), nil
	case map[string]any:
		return float64(len(t)), nil
	}
	return nil, errCEL
}

func (e celNot) eval(self any) (any, error) {
	v, err := e.x.eval(self)
	if err != nil {
		return nil, err
	}
	b, ok := v.(bool)
	if !ok {
		return nil, errCEL
	}
	return !b, nil
}

func (e celBin) eval(self any) (any, error) {
	switch e.op {
	case "||", "&&":
		// CEL's logical operators are commutative over errors: a decisive
		// side wins whatever the other gives.
		decisive := e.op == "||"
		l, lerr := e.l.eval(self)
		if lb, ok := l.(bool); lerr == nil && ok && lb == decisive {
			return decisive, nil
		}
		r, rerr := e.r.eval(self)
		if rb, ok := r.(bool); rerr == nil && ok && rb == decisive {
			return decisive, nil
		}
		_, lok := l.(bool)
		_, rok := r.(bool)
		if lerr != nil || rerr != nil || !lok || !rok {
			return nil, errCEL
		}
		return !decisive, nil
	}
	l, err := e.l.eval(self)
	if err != nil {
		return nil, err
	}
	r, err := e.r.eval(self)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "==":
		return reflect.DeepEqual(l, r), nil
	case "!=":
		return !reflect.DeepEqual(l, r), nil
	}
	ln, lok := l.(float64)
	rn, rok := r.(float64)
	if !lok || !rok {
		return nil, errCEL
	}
	switch e.op {
	case "<":
		return ln < rn, nil
	case "<=":
		return ln <= rn, nil
	case ">":
		return ln > rn, nil
	case ">=":
		return ln >= rn, nil
	}
	return nil, errCEL
}

// parseCEL parses the supported part of CEL.
func parseCEL(src string) (celExpr, error) {
	toks, err := lexCEL(src)
	if err != nil {
		return nil, err
	}
	p := &celParser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i != len(p.toks) {
		return nil, fmt.Errorf("unsupported CEL at %q", p.toks[p.i])
	}
	return e, nil
}

func lexCEL(src string) ([]string, error) {
	var toks []string
	rs := []rune(src)
	for i := 0; i < len(rs); {
		c := rs[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(rs) && rs[j] != c {
				if rs[j] == '\\' {
					return nil, fmt.Errorf("unsupported escape in CEL string")
				}
				j++
			}
			if j == len(rs) {
				return nil, fmt.Errorf("unterminated string")
			}
			toks = append(toks, "'"+string(rs[i+1:j]))
			i = j + 1
		case unicode.IsLetter(c) || c == '_' || unicode.IsDigit(c):
			j := i
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || rs[j] == '_') {
				j++
			}
			toks = append(toks, string(rs[i:j]))
			i = j
		default:
			two := ""
			if i+1 < len(rs) {
				two = string(rs[i : i+2])
			}
			switch two {
			case "&&", "||", "==", "!=", "<=", ">=":
				toks = append(toks, two)
				i += 2
				continue
			}
			if !strings.ContainsRune("()!.<>", c) {
				return nil, fmt.Errorf("unsupported CEL character %q", c)
			}
			toks = append(toks, string(c))
			i++
		}
	}
	return toks, nil
}

type celParser struct {
	toks []string
	i    int
}

func (p *celParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *celParser) next() string { t := p.peek(); p.i++; return t }

func (p *celParser) expect(t string) error {
	if p.next() != t {
		return fmt.Errorf("expected %q", t)
	}
	return nil
}

func (p *celParser) or() (celExpr, error) { return p.binary([]string{"||"}, p.and) }

func (p *celParser) and() (celExpr, error) { return p.binary([]string{"&&"}, p.cmp) }

func (p *celParser) binary(ops []string, sub func() (celExpr, error)) (celExpr, error) {
	l, err := sub()
	if err != nil {
		return nil, err
	}
	for slices.Contains(ops, p.peek()) {
		op := p.next()
		r, err := sub()
		if err != nil {
			return nil, err
		}
		l = celBin{op, l, r}
	}
	return l, nil
}

func (p *celParser) cmp() (celExpr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	switch op := p.peek(); op {
	case "==", "!=", "<", "<=", ">", ">=":
		p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		return celBin{op, l, r}, nil
	}
	return l, nil
}

func (p *celParser) unary() (celExpr, error) {
	if p.peek() == "!" {
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return celNot{x}, nil
	}
	return p.primary()
}

func (p *celParser) primary() (celExpr, error) {
	t := p.next()
	switch {
	case t == "(":
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		return e, p.expect(")")
	case t == "has" || t == "size":
		if err := p.expect("("); err != nil {
			return nil, err
		}
		var e celExpr
		if t == "has" {
			f, err := p.field()
			if err != nil {
				return nil, err
			}
			if len(f.path) == 0 {
				return nil, fmt.Errorf("has() needs a field")
			}
			e = celHas{f}
		} else {
			x, err := p.or()
			if err != nil {
				return nil, err
			}
			e = celSize{x}
		}
		return e, p.expect(")")
	case t == "self":
		p.i--
		return p.field()
	case t == "true" || t == "false":
		return celLit{t == "true"}, nil
	case strings.HasPrefix(t, "'"):
		return celLit{t[1:]}, nil
	case t != "" && unicode.IsDigit([]rune(t)[0]):
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return nil, err
		}
		return celLit{float64(n)}, nil // JSON numbers decode as float64
	}
	return nil, fmt.Errorf("unsupported CEL at %q", t)
}

func (p *celParser) field() (celField, error) {
	if p.next() != "self" {
		return celField{}, fmt.Errorf("expected self")
	}
	var f celField
	for p.peek() == "." {
		p.next()
		name := p.next()
		if name == "" || !(unicode.IsLetter([]rune(name)[0]) || name[0] == '_') {
			return celField{}, fmt.Errorf("expected a field name")
		}
		f.path = append(f.path, name)
	}
	if p.peek() == "(" {
		return celField{}, fmt.Errorf("method calls are not supported")
	}
	return f, nil
}

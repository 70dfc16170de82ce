package render

import "strings"

// substitute performs Flux postBuild variable substitution on YAML text:
// ${VAR}, ${VAR:=default}, ${VAR:-default} (default when unset or empty),
// ${VAR=default}, ${VAR-default} (default when unset); $${ escapes to ${.
// Undefined variables without a default become empty, as in Flux's
// non-strict mode, unless keep is set: then they stay as written. Unbraced
// $VAR is left alone.
func substitute(text string, vars map[string]string, keep bool) string {
	if !strings.Contains(text, "${") {
		return text
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		if strings.HasPrefix(text[i:], "$${") {
			b.WriteString("${")
			i += 3
			continue
		}
		if !strings.HasPrefix(text[i:], "${") {
			b.WriteByte(text[i])
			i++
			continue
		}
		end := closingBrace(text[i:])
		if end < 0 {
			b.WriteString(text[i:])
			break
		}
		expr := text[i+2 : i+end]
		if v, ok := evalVar(expr, vars, keep); ok {
			b.WriteString(v)
		} else {
			b.WriteString(text[i : i+end+1])
		}
		i += end + 1
	}
	return b.String()
}

// evalVar evaluates the inside of ${...}; ok is false for expressions that
// are not variable references, which are kept verbatim.
func evalVar(expr string, vars map[string]string, keep bool) (string, bool) {
	n := 0
	for n < len(expr) && isNameByte(expr[n], n == 0) {
		n++
	}
	if n == 0 {
		return "", false
	}
	name, rest := expr[:n], expr[n:]
	val, set := vars[name]
	switch {
	case rest == "":
		if !set && keep {
			return "", false
		}
		return val, true
	case strings.HasPrefix(rest, ":="), strings.HasPrefix(rest, ":-"):
		if !set || val == "" {
			return substitute(rest[2:], vars, keep), true // defaults may nest ${...}
		}
		return val, true
	case strings.HasPrefix(rest, "="), strings.HasPrefix(rest, "-"):
		if !set {
			return substitute(rest[1:], vars, keep), true
		}
		return val, true
	}
	return "", false
}

func isNameByte(c byte, first bool) bool {
	switch {
	case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return true
	case c >= '0' && c <= '9':
		return !first
	}
	return false
}

// closingBrace finds the brace closing the ${ at the start of s, counting
// nested ${...} in defaults; -1 when there is none.
func closingBrace(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "${"):
			depth++
			i++
		case s[i] == '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

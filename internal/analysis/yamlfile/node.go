package yamlfile

import (
	yaml "go.yaml.in/yaml/v3"
)

// resolve follows one alias hop. Aliases are never expanded recursively, so
// an alias bomb costs no more than its text.
func resolve(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// Get returns the value at a path of mapping keys, or nil.
func Get(n *yaml.Node, path ...string) *yaml.Node {
	_, v := GetKV(n, path...)
	return v
}

// GetKV returns the key node and value node at a path of mapping keys.
func GetKV(n *yaml.Node, path ...string) (key, val *yaml.Node) {
	cur := resolve(n)
	for _, p := range path {
		if cur == nil || cur.Kind != yaml.MappingNode {
			return nil, nil
		}
		var found bool
		// The last occurrence wins, as in most YAML decoders.
		for i := 0; i+1 < len(cur.Content); i += 2 {
			if cur.Content[i].Value == p && cur.Content[i].Kind == yaml.ScalarNode {
				key, val = cur.Content[i], resolve(cur.Content[i+1])
				found = true
			}
		}
		if !found {
			return nil, nil
		}
		cur = val
	}
	return key, cur
}

// Str returns the scalar value at path, or "".
func Str(n *yaml.Node, path ...string) string {
	v := Get(n, path...)
	if v == nil || v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return ""
	}
	return v.Value
}

// Items returns the items of a sequence node (aliases resolved), or nil.
func Items(n *yaml.Node) []*yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = resolve(c)
	}
	return out
}

// Pairs calls fn for each key/value of a mapping node.
func Pairs(n *yaml.Node, fn func(k, v *yaml.Node)) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		fn(n.Content[i], resolve(n.Content[i+1]))
	}
}

// StringMap reads a mapping of scalars.
func StringMap(n *yaml.Node) map[string]string {
	out := map[string]string{}
	Pairs(n, func(k, v *yaml.Node) {
		if v.Kind == yaml.ScalarNode {
			out[k.Value] = v.Value
		}
	})
	return out
}

// IsScalar reports whether n is a non-null scalar.
func IsScalar(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag != "!!null"
}

// Walk visits every node once, without following aliases.
func Walk(n *yaml.Node, fn func(*yaml.Node)) {
	stack := []*yaml.Node{n}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if c == nil {
			continue
		}
		fn(c)
		for i := len(c.Content) - 1; i >= 0; i-- {
			stack = append(stack, c.Content[i])
		}
	}
}

// FindPointer walks a JSON pointer (already split into segments) in a
// document and returns the deepest node reached and whether it was reached
// fully. Used to map schema errors back to source lines.
func FindPointer(n *yaml.Node, segs []string) (deepest *yaml.Node, complete bool) {
	cur := resolve(n)
	deepest = cur
	for _, s := range segs {
		switch {
		case cur == nil:
			return deepest, false
		case cur.Kind == yaml.MappingNode:
			k, v := GetKV(cur, s)
			if k == nil {
				return deepest, false
			}
			deepest = k
			cur = v
		case cur.Kind == yaml.SequenceNode:
			idx := seqIndex(s, len(cur.Content))
			if idx < 0 {
				return deepest, false
			}
			cur = resolve(cur.Content[idx])
			deepest = cur
		default:
			return deepest, false
		}
	}
	return deepest, true
}

// seqIndex parses a JSON pointer array index ("0", or digits without a
// leading zero) below n; -1 when it is no index or out of range. It stops
// at n, so that a long run of digits cannot overflow into a valid index.
func seqIndex(s string, n int) int {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return -1
	}
	idx := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		idx = idx*10 + int(s[i]-'0')
		if idx >= n {
			return -1
		}
	}
	return idx
}

// Node is yaml.v3's node, re-exported for callers that walk documents.
type Node = yaml.Node

package yamlfile

import (
	"bytes"
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// RuleAliasExpansion reports a file whose aliases expand to more nodes than
// MaxAliasNodes: tools that expand aliases (kustomize, Flux, kubectl) would
// spend minutes and gigabytes on it, so it is refused before any of them
// sees it.
const RuleAliasExpansion = "yaml/alias-expansion"

// MaxAliasNodes is how many nodes the aliases of one file may add when
// expanded. Real manifests that use anchors stay in the hundreds; kustomize
// handles a hundred thousand added nodes in about a second.
const MaxAliasNodes = 100_000

// AliasError says that a file's aliases expand beyond the budget.
type AliasError struct {
	Doc    int   // 0-based index of the first document over the budget
	Line   int   // line of the alias that crossed the budget
	Added  int64 // nodes added by expansion, counted up to just past Budget
	Budget int64
	Cycle  bool // an alias refers to a node that contains it
}

func (e *AliasError) Error() string {
	if e.Cycle {
		return fmt.Sprintf("an alias at line %d refers to a node that contains it, so expanding it never ends; replace the alias with the content it stands for", e.Line)
	}
	return fmt.Sprintf("aliases expand to more than %d nodes (an alias bomb?); tools that expand them, kustomize and Flux included, would not finish: write the content out or use fewer nested aliases", e.Budget)
}

// CheckAliases returns an *AliasError when expanding the aliases of one
// document of src would add more than budget nodes. It walks each node once
// (never expanding anything), so its cost is linear in the size of src.
// A text without '*' has no alias and is not parsed; a text that does not
// parse is only checked up to the error, which whoever parses it next will
// report.
func CheckAliases(src []byte, budget int64) *AliasError {
	if bytes.IndexByte(src, '*') < 0 {
		return nil
	}
	var found *AliasError
	func() {
		defer func() { _ = recover() }() // a parser panic is reported by Parse
		dec := yaml.NewDecoder(bytes.NewReader(src))
		for i := 0; ; i++ {
			var n yaml.Node
			if err := dec.Decode(&n); err != nil {
				return // io.EOF, or an error whoever parses src reports
			}
			if e := checkDocAliases(&n, budget); e != nil {
				e.Doc = i
				found = e
				return
			}
		}
	}()
	return found
}

// aliasCounter computes expanded sizes with memoisation, so each anchor is
// sized once however often it is referred to.
type aliasCounter struct {
	size   map[*yaml.Node]int64 // expanded size of an anchored node
	active map[*yaml.Node]bool  // anchored nodes being sized: a cycle if met again
	budget int64
	added  int64
	err    *AliasError
}

func checkDocAliases(doc *yaml.Node, budget int64) *AliasError {
	c := &aliasCounter{size: map[*yaml.Node]int64{}, active: map[*yaml.Node]bool{}, budget: budget}
	c.count(doc)
	return c.err
}

// count returns the number of nodes n stands for once expanded, capped just
// past the budget.
func (c *aliasCounter) count(n *yaml.Node) int64 {
	if n == nil || c.err != nil {
		return 0
	}
	if n.Kind == yaml.AliasNode {
		t := n.Alias
		if t == nil {
			return 1
		}
		if c.active[t] {
			c.err = &AliasError{Line: n.Line, Cycle: true, Budget: c.budget}
			return 0
		}
		s, ok := c.size[t]
		if !ok {
			s = c.sized(t)
		}
		c.added += s
		if c.added > c.budget {
			c.err = &AliasError{Line: n.Line, Added: c.added, Budget: c.budget}
		}
		return s
	}
	return c.sized(n)
}

// sized computes the expanded size of a written node.
func (c *aliasCounter) sized(n *yaml.Node) int64 {
	if s, ok := c.size[n]; ok {
		return s
	}
	if n.Anchor != "" {
		c.active[n] = true
		defer delete(c.active, n)
	}
	var s int64 = 1
	for _, ch := range n.Content {
		s += c.count(ch)
		if s > c.budget {
			s = c.budget + 1 // saturate: the total is what matters
		}
		if c.err != nil {
			return s
		}
	}
	if n.Anchor != "" {
		c.size[n] = s
	}
	return s
}

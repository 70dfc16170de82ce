package promote

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// TagEdits moves a GitRepository document's spec.ref to tag, quoted,
// touching only the value (or replacing "branch: x" by `tag: "T"`). It
// reports false when the ref has no tag or branch to replace.
func TagEdits(f *yamlfile.File, root *yaml.Node, tag string) ([]diag.Edit, bool) {
	q := strconv.Quote(tag)
	if _, v := yamlfile.GetKV(root, "spec", "ref", "tag"); v != nil && v.Kind == yaml.ScalarNode {
		return []diag.Edit{{File: f.Path, Range: f.NodeRange(v), NewText: q}}, true
	}
	if k, v := yamlfile.GetKV(root, "spec", "ref", "branch"); k != nil && v != nil && v.Kind == yaml.ScalarNode {
		return []diag.Edit{
			{File: f.Path, Range: f.NodeRange(k), NewText: "tag"},
			{File: f.Path, Range: f.NodeRange(v), NewText: q},
		}, true
	}
	return nil, false
}

// lineEnd is the offset just after the newline ending the line holding
// off (or the end of the file).
func lineEnd(src []byte, off int) int {
	for i := off; i < len(src); i++ {
		if src[i] == '\n' {
			return i + 1
		}
	}
	return len(src)
}

func lineStart(src []byte, off int) int {
	for i := off; i > 0; i-- {
		if src[i-1] == '\n' {
			return i
		}
	}
	return 0
}

// AppendToSequence builds an edit adding items at the end of the sequence
// at key (a top-level key of the first document), in the style of the
// items already there: block or flow, "./" prefix, quoting. The key is
// added at the end of the file when missing.
func AppendToSequence(f *yamlfile.File, key string, items []string) (diag.Edit, error) {
	src := f.Src
	if len(items) == 0 {
		return diag.Edit{}, fmt.Errorf("%s: nothing to add", f.Path)
	}
	var root *yaml.Node
	if len(f.Docs) > 0 {
		root = f.Docs[0].Root
	}
	if root != nil && root.Kind != yaml.MappingNode && !(root.Kind == yaml.ScalarNode && root.Value == "") {
		return diag.Edit{}, fmt.Errorf("%s: not a mapping", f.Path)
	}
	k, seq := yamlfile.GetKV(root, key)
	if k == nil || seq == nil || (seq.Kind == yaml.ScalarNode && seq.Tag == "!!null") {
		var b strings.Builder
		if len(src) > 0 && src[len(src)-1] != '\n' {
			b.WriteString("\n")
		}
		if k == nil {
			b.WriteString(key + ":\n")
			for _, it := range items {
				b.WriteString("  - " + it + "\n")
			}
			return EditAt(f.Path, src, len(src), len(src), b.String()), nil
		}
		// "resources:" with nothing after it: replace the line.
		ks := f.NodeRange(k).Start.Offset
		end := lineEnd(src, ks)
		b.Reset()
		b.WriteString(key + ":\n")
		indent := strings.Repeat(" ", f.NodeRange(k).Start.Col-1)
		for _, it := range items {
			b.WriteString(indent + "  - " + it + "\n")
		}
		return EditAt(f.Path, src, ks, end, b.String()), nil
	}
	if seq.Kind != yaml.SequenceNode {
		return diag.Edit{}, fmt.Errorf("%s: %s is not a list", f.Path, key)
	}
	styled := func(last *yaml.Node, it string) string {
		if last != nil && strings.HasPrefix(last.Value, "./") && !strings.HasPrefix(it, "./") {
			it = "./" + it
		}
		if last != nil {
			switch last.Style {
			case yaml.DoubleQuotedStyle:
				return strconv.Quote(it)
			case yaml.SingleQuotedStyle:
				return "'" + strings.ReplaceAll(it, "'", "''") + "'"
			}
		}
		return it
	}
	var last *yaml.Node
	if n := len(seq.Content); n > 0 {
		last = seq.Content[n-1]
	}
	if seq.Style&yaml.FlowStyle != 0 {
		if last == nil {
			r := f.NodeRange(seq)
			var parts []string
			for _, it := range items {
				parts = append(parts, styled(nil, it))
			}
			return diag.Edit{File: f.Path, Range: r, NewText: "[" + strings.Join(parts, ", ") + "]"}, nil
		}
		end := f.NodeRange(last).End.Offset
		var b strings.Builder
		for _, it := range items {
			b.WriteString(", " + styled(last, it))
		}
		return EditAt(f.Path, src, end, end, b.String()), nil
	}
	// Block sequence: a new line after the last item, same indentation.
	lr := f.NodeRange(last)
	if last.Kind != yaml.ScalarNode {
		return diag.Edit{}, fmt.Errorf("%s: the last %s entry is not a plain value", f.Path, key)
	}
	ls := lineStart(src, lr.Start.Offset)
	prefix := string(src[ls:lr.Start.Offset]) // e.g. "  - "
	if !strings.Contains(prefix, "-") {
		return diag.Edit{}, fmt.Errorf("%s: cannot tell the list layout of %s", f.Path, key)
	}
	prefix = strings.Repeat(" ", strings.Index(prefix, "-")) + prefix[strings.Index(prefix, "-"):]
	at := lineEnd(src, lr.End.Offset)
	var b strings.Builder
	if at == len(src) && (len(src) == 0 || src[len(src)-1] != '\n') {
		b.WriteString("\n")
	}
	for _, it := range items {
		b.WriteString(prefix + styled(last, it) + "\n")
	}
	return EditAt(f.Path, src, at, at, b.String()), nil
}

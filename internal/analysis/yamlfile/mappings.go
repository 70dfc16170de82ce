package yamlfile

import (
	"bytes"
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// Decoders compare every key of a mapping with every other (yaml.v3, and
// kustomize through it, when a mapping is decoded into a Go value) and
// write one message per pair of equal keys: a single line of a few hundred
// kilobytes holding one mapping of 100,000 keys, or of one key repeated,
// takes them minutes and gigabytes. Files past these limits are refused
// before any decoder sees them.
const (
	// MaxMappingKeys is how many keys one mapping may have. Real
	// manifests stay in the hundreds.
	MaxMappingKeys = 10_000
	// MaxRepeatedKeyPairs is how many pairs of equal keys one mapping may
	// hold (n copies of a key make n(n-1)/2 pairs).
	MaxRepeatedKeyPairs = 100_000
)

// MappingError says that a mapping of a file is past a limit.
type MappingError struct {
	Doc   int // 0-based index of the document
	Line  int // line of the mapping
	Keys  int
	Pairs int64 // pairs of equal keys, counted up to just past the limit
}

func (e *MappingError) Error() string {
	if e.Pairs > MaxRepeatedKeyPairs {
		return fmt.Sprintf("the mapping at line %d repeats its keys so often (more than %d pairs of equal keys) that decoders, kustomize included, would not finish: remove the repeated keys", e.Line, MaxRepeatedKeyPairs)
	}
	return fmt.Sprintf("the mapping at line %d has %d keys, more than %d: decoders, kustomize included, compare every key with every other and would not finish: split it", e.Line, e.Keys, MaxMappingKeys)
}

// minSeparators: a mapping past a limit has at least this many keys, each
// but the first after a line break or a comma.
const minSeparators = 447 // 448 copies of a key make more than 100,000 pairs

// CheckMappings returns a *MappingError when a mapping of src is past a
// limit. Its cost is linear in the size of src, and a text with too few
// line breaks and commas to hold such a mapping is not parsed. A text that
// does not parse is only checked up to the error, which whoever parses it
// next reports.
func CheckMappings(src []byte) *MappingError {
	if bytes.Count(src, []byte{'\n'})+bytes.Count(src, []byte{','}) < minSeparators {
		return nil
	}
	var found *MappingError
	func() {
		defer func() { _ = recover() }() // a parser panic is reported by Parse
		dec := yaml.NewDecoder(bytes.NewReader(src))
		for i := 0; ; i++ {
			var n yaml.Node
			if err := dec.Decode(&n); err != nil {
				return
			}
			if e := checkDocMappings(&n); e != nil {
				e.Doc = i
				found = e
				return
			}
		}
	}()
	return found
}

// checkDocMappings walks a document once, without following aliases.
func checkDocMappings(doc *yaml.Node) *MappingError {
	var found *MappingError
	Walk(doc, func(n *yaml.Node) {
		if found != nil || n.Kind != yaml.MappingNode {
			return
		}
		keys := len(n.Content) / 2
		if keys > MaxMappingKeys {
			found = &MappingError{Line: n.Line, Keys: keys}
			return
		}
		type key struct {
			kind  yaml.Kind
			value string
		}
		var seen map[key]int64
		var pairs int64
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if seen == nil {
				seen = make(map[key]int64, keys)
			}
			kk := key{k.Kind, k.Value}
			pairs += seen[kk]
			seen[kk]++
			if pairs > MaxRepeatedKeyPairs {
				found = &MappingError{Line: n.Line, Keys: keys, Pairs: pairs}
				return
			}
		}
	})
	return found
}

// CheckLimits is CheckAliases with MaxAliasNodes, then CheckMappings, for
// a file a library is about to decode: src is decoded at most once for
// both (each check keeps its own cheap test of whether it is needed), and
// the alias error of any document comes before a mapping error, as when
// the two are called in turn.
func CheckLimits(src []byte) error {
	aliases := bytes.IndexByte(src, '*') >= 0
	mappings := bytes.Count(src, []byte{'\n'})+bytes.Count(src, []byte{','}) >= minSeparators
	if !aliases && !mappings {
		return nil
	}
	var docs []*yaml.Node
	func() {
		defer func() { _ = recover() }() // a parser panic is reported by Parse
		dec := yaml.NewDecoder(bytes.NewReader(src))
		for {
			var n yaml.Node
			if err := dec.Decode(&n); err != nil {
				return // io.EOF, or an error whoever parses src reports
			}
			docs = append(docs, &n)
		}
	}()
	if aliases {
		for i, n := range docs {
			if e := checkDocAliases(n, MaxAliasNodes); e != nil {
				e.Doc = i
				return e
			}
		}
	}
	if mappings {
		for i, n := range docs {
			if e := checkDocMappings(n); e != nil {
				e.Doc = i
				return e
			}
		}
	}
	return nil
}

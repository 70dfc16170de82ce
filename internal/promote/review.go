package promote

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// RuleReview is the rule of Review's findings.
const RuleReview = "promotion/review"

var replicaKeys = map[string]bool{"replicas": true, "replicaCount": true, "minReplicas": true, "maxReplicas": true}
var hostKeys = map[string]bool{"host": true, "hosts": true, "hostname": true, "hostnames": true, "domain": true, "domains": true, "fqdn": true, "externalURL": true, "baseURL": true, "dnsNames": true, "commonName": true}

// Review finds, in files just promoted from one environment to another,
// the values that usually differ per environment: replicas, resource
// limits and requests, host names, and names or values mentioning the
// source environment (its cluster name or its prefix, such as "dev").
// Each becomes a promotion/review info diagnostic on the exact value.
func Review(fsys fs.FS, files []string, from, to string) []diag.Diagnostic {
	var terms []string
	terms = append(terms, from)
	if pre, _, ok := strings.Cut(from, "-"); ok && pre != "" {
		toPre, _, _ := strings.Cut(to, "-")
		if pre != toPre {
			terms = append(terms, pre)
		}
	}
	var res []*regexp.Regexp
	for _, t := range terms {
		res = append(res, regexp.MustCompile(`(?i)(^|[^a-z0-9])`+regexp.QuoteMeta(t)+`($|[^a-z0-9])`))
	}
	mentions := func(s string) string {
		for i, re := range res {
			if re.MatchString(s) {
				return terms[i]
			}
		}
		return ""
	}
	var out []diag.Diagnostic
	for _, p := range files {
		if !view.IsYAML(p) {
			continue
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			continue
		}
		f := yamlfile.Parse(p, data)
		add := func(n *yaml.Node, msg string) {
			out = append(out, diag.Diagnostic{Rule: RuleReview, Severity: diag.Info, File: p, Range: f.NodeRange(n), Message: msg})
		}
		for _, d := range f.Docs {
			walkKV(d.Root, nil, func(keys []string, n *yaml.Node) {
				key := ""
				if len(keys) > 0 {
					key = keys[len(keys)-1]
				}
				where := strings.Join(keys, ".")
				switch {
				case replicaKeys[key]:
					add(n, fmt.Sprintf("%s: %s was promoted from %s unchanged; check it suits %s", where, n.Value, from, to))
				case inResources(keys):
					add(n, fmt.Sprintf("%s: %s (resource limits/requests) was promoted from %s unchanged; check it suits %s", where, n.Value, from, to))
				case hostKeys[key] || (len(keys) > 1 && hostKeys[keys[len(keys)-2]] && key == "[]"):
					add(n, fmt.Sprintf("%s: host name %q was promoted from %s unchanged; %s usually has its own", where, n.Value, from, to))
				default:
					if t := mentions(n.Value); t != "" {
						add(n, fmt.Sprintf("%s: %q mentions %q, from %s; change it for %s", where, n.Value, t, from, to))
					}
				}
			})
		}
		// Keys can carry the environment too (labels, names as keys).
		for _, d := range f.Docs {
			yamlfile.Walk(d.Root, func(n *yaml.Node) {
				if n.Kind != yaml.MappingNode {
					return
				}
				for i := 0; i+1 < len(n.Content); i += 2 {
					k := n.Content[i]
					if t := mentions(k.Value); t != "" && k.Kind == yaml.ScalarNode {
						add(k, fmt.Sprintf("key %q mentions %q, from %s; change it for %s", k.Value, t, from, to))
					}
				}
			})
		}
	}
	diag.Sort(out)
	return out
}

func inResources(keys []string) bool {
	for i := 0; i+1 < len(keys); i++ {
		if keys[i] == "resources" && (keys[i+1] == "limits" || keys[i+1] == "requests") {
			return true
		}
	}
	return false
}

// walkKV calls fn for every non-empty scalar value with the keys leading
// to it ("[]" for sequence items). Block scalars are searched line by line
// by the caller's mention check through their value.
func walkKV(n *yaml.Node, keys []string, fn func([]string, *yaml.Node)) {
	if n == nil || len(keys) > 64 {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			walkKV(n.Content[i+1], append(keys[:len(keys):len(keys)], n.Content[i].Value), fn)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			walkKV(c, append(keys[:len(keys):len(keys)], "[]"), fn)
		}
	case yaml.ScalarNode:
		if n.Value != "" && n.Tag != "!!null" {
			fn(keys, n)
		}
	}
}

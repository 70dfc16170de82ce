package rules

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// secretPatterns pair a cheap literal, checked first, with the pattern
// that confirms it: most files contain none of the literals.
var secretPatterns = []struct {
	lit  string
	re   *regexp.Regexp
	what string
}{
	{"PRIVATE KEY", regexp.MustCompile(`-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----`), "a private key"},
	{"AGE-SECRET-KEY-", regexp.MustCompile(`AGE-SECRET-KEY-1[0-9A-Z]{20,}`), "an age secret key"},
	{"_", regexp.MustCompile(`\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b`), "a GitHub token"},
	{"github_pat_", regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9_]{40,}`), "a GitHub token"},
	{"glpat-", regexp.MustCompile(`\bglpat-[A-Za-z0-9_\-]{20,}`), "a GitLab token"},
	{"@", regexp.MustCompile(`\b[a-z][a-z0-9+.\-]*://[^/\s:@'"]+:([^/\s@'"$<{%*]+)@([A-Za-z0-9.\-]+)`), "a password inside a URL"},
}

// referenceRE matches values that name a secret kept elsewhere rather than
// hold it: 1Password and Vault references, vals, argocd-vault-plugin,
// Flux postBuild variables and templates.
var referenceRE = regexp.MustCompile(`^\s*(op://|vault:|ref\+|<path:|\$\{[A-Za-z_][A-Za-z0-9_]*(:?[=-][^}]*)?\}\s*$|\{\{)`)

// allReferences reports whether every value of a data mapping is a reference.
func allReferences(m *yaml.Node) bool {
	all := true
	yamlfile.Pairs(m, func(_, v *yaml.Node) {
		if v.Kind != yaml.ScalarNode || !referenceRE.MatchString(v.Value) {
			all = false
		}
	})
	return all
}

var placeholderRE = regexp.MustCompile(`(?i)changeme|change_me|PLACEHOLDER-`)

var secrets = &Check{
	Name:    "secrets",
	Reports: []*catalog.Rule{catalog.SecretUnencrypted, catalog.SecretPrivateKey, catalog.SecretPlaceholder},
	Run:     func(p *Pass) error { checkSecrets(p); return nil },
}

func checkSecrets(c *Pass) {
	for _, o := range c.Repo.Objects {
		if c.cancelled() {
			return
		}
		if o.Kind != "Secret" || o.APIVersion != "v1" {
			continue
		}
		n := o.Node()
		sops := IsSOPS(n)
		for _, field := range []string{"data", "stringData"} {
			k, v := yamlfile.GetKV(n, field)
			if k == nil || v.Kind != yaml.MappingNode || len(v.Content) == 0 {
				continue
			}
			if !sops {
				if allReferences(v) {
					continue // values a secret manager or postBuild fills in
				}
				c.Report(catalog.SecretUnencrypted, o.File, k, fmt.Sprintf("Secret %s has %s in plain text and no sops block: encrypt it with sops before committing", o.Name, field))
				break
			}
			yamlfile.Pairs(v, func(key, val *yaml.Node) {
				if val.Kind == yaml.ScalarNode && val.Value != "" && !strings.HasPrefix(val.Value, "ENC[") {
					c.Report(catalog.SecretUnencrypted, o.File, val, fmt.Sprintf("Secret %s: %s.%s is not encrypted although the file has a sops block (edited after encryption?)", o.Name, field, key.Value))
				}
			})
		}
	}
	for _, p := range c.Repo.Listing.Files {
		if c.cancelled() {
			return
		}
		if !view.IsYAML(p) {
			if data, err := c.Repo.View.Read(p); err == nil {
				scanKeys(c, p, data)
			}
			continue
		}
		f, err := c.Repo.View.YAML(p) // already parsed by the repository load
		if err != nil {
			continue
		}
		// The findings depend on the file alone: kept with it, so that an
		// analysis after an edit scans the edited files only.
		if ds, ok := f.Recall(fileSecrets{}); ok {
			c.out = append(c.out, ds.([]diag.Diagnostic)...)
			continue
		}
		from := len(c.out)
		scanPlaceholders(c, f)
		scanKeys(c, p, f.Src)
		if !c.cancelled() {
			f.Remember(fileSecrets{}, slices.Clone(c.out[from:]))
		}
	}
}

// fileSecrets keys a file's placeholder and key findings (File.Remember).
type fileSecrets struct{}

func scanKeys(c *Pass, p string, src []byte) {
	if len(src) == 0 || bytes.IndexByte(src[:min(len(src), 8000)], 0) >= 0 {
		return // empty, or binary
	}
	var lf *yamlfile.File
	for _, sp := range secretPatterns {
		if c.cancelled() {
			return // a large file takes a while per pattern
		}
		if !bytes.Contains(src, []byte(sp.lit)) {
			continue
		}
		for _, m := range sp.re.FindAllSubmatchIndex(src, 20) {
			if sp.lit == "@" && len(m) >= 6 && m[2] >= 0 && m[4] >= 0 && dummyCredential(string(src[m[2]:m[3]]), string(src[m[4]:m[5]])) {
				continue
			}
			if lf == nil {
				lf = yamlfile.Lines(p, src)
			}
			start, end := lf.PosOffset(m[0]), lf.PosOffset(m[1])
			c.ReportDiag(catalog.SecretPrivateKey, diagAt(p, start, end, fmt.Sprintf("%s is committed in %s: remove it, rotate it, and keep it in a SOPS-encrypted Secret", sp.what, p)))
		}
	}
}

func scanPlaceholders(c *Pass, f *yamlfile.File) {
	for _, d := range f.Docs {
		if IsSOPS(d.Root) {
			continue
		}
		yamlfile.Walk(d.Root, func(n *yaml.Node) {
			if n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode {
				return
			}
			for i, ch := range n.Content {
				if n.Kind == yaml.MappingNode && i%2 == 0 {
					continue // keys are not values
				}
				if ch.Kind == yaml.ScalarNode && placeholderRE.MatchString(ch.Value) {
					m := placeholderRE.FindString(ch.Value)
					c.Report(catalog.SecretPlaceholder, f, ch, fmt.Sprintf("placeholder %q left in a value: fill it in before this reaches a cluster", m))
				}
			}
		})
	}
}

// dummyCredential recognises the user:pass@localhost of documentation.
func dummyCredential(password, host string) bool {
	switch strings.ToLower(password) {
	case "pass", "password", "passwd", "secret", "changeme", "xxx", "xxxx", "token", "pwd":
		return true
	}
	h := strings.ToLower(host)
	return h == "localhost" || h == "127.0.0.1" || strings.HasPrefix(h, "example.") || strings.HasSuffix(h, ".example") ||
		strings.HasSuffix(h, ".example.com") || strings.HasSuffix(h, ".local") || h == "host"
}

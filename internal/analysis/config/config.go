// Package config reads .gitops.yaml, the one configuration file shared by
// the hook and the language server.
package config

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	yaml "go.yaml.in/yaml/v3"
)

// FileName is the configuration file at the repository root.
const FileName = ".gitops.yaml"

// Config is the parsed configuration.
type Config struct {
	Environments []string            `yaml:"environments"`
	Mirrors      map[string]string   `yaml:"mirrors"`
	Rules        map[string]string   `yaml:"rules"`
	Ignore       []string            `yaml:"ignore"`
	RejectedTags map[string][]string `yaml:"rejectedTags"`
	EnvLocal     []string            `yaml:"envLocal"`
	// Schemas are JSON schema catalogs for the kinds neither the built-in
	// schemas nor the repository's CRDs know: a folder (relative to the
	// repository root, or absolute) in the CRDs-catalog layout
	// GROUP/KIND_VERSION.json, a path template, or a URL template such as
	// https://raw.githubusercontent.com/datreeio/CRDs-catalog/main/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json
	Schemas    []string                 `yaml:"schemas"`
	Severities map[string]diag.Severity `yaml:"-"`
	ignoreREs  []*regexp.Regexp
}

// Parse reads configuration text. An unknown rule severity is an error,
// since silently ignoring it would hide the user's intent.
func Parse(src []byte) (*Config, error) {
	c := &Config{}
	if len(strings.TrimSpace(string(src))) > 0 {
		dec := yaml.NewDecoder(strings.NewReader(string(src)))
		dec.KnownFields(true)
		if err := dec.Decode(c); err != nil {
			return nil, err
		}
	}
	return c, c.init()
}

func (c *Config) init() error {
	c.Severities = map[string]diag.Severity{}
	keys := make([]string, 0, len(c.Rules))
	for k := range c.Rules {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, id := range keys {
		s, err := diag.ParseSeverity(c.Rules[id])
		if err != nil {
			return fmt.Errorf("rules.%s: %w", id, err)
		}
		c.Severities[id] = s
	}
	for _, e := range c.Schemas {
		if err := checkSchemaEntry(e); err != nil {
			return fmt.Errorf("schemas: %q: %w", e, err)
		}
	}
	for _, g := range c.Ignore {
		re, err := GlobRegexp(g)
		if err != nil {
			return fmt.Errorf("ignore %q: %w", g, err)
		}
		c.ignoreREs = append(c.ignoreREs, re)
	}
	return nil
}

// IsSchemaURL reports whether a schemas entry is a URL template rather
// than a folder.
func IsSchemaURL(e string) bool {
	return strings.HasPrefix(e, "http://") || strings.HasPrefix(e, "https://") || strings.HasPrefix(e, "file://")
}

func checkSchemaEntry(e string) error {
	switch {
	case strings.TrimSpace(e) == "":
		return fmt.Errorf("empty entry")
	case IsSchemaURL(e) && !strings.Contains(e, "{{"):
		return fmt.Errorf("a URL needs a template naming the kind, such as .../{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json")
	case strings.Contains(e, "://") && !IsSchemaURL(e):
		return fmt.Errorf("only http://, https:// and file:// URLs are read")
	case strings.Count(e, "{{") != strings.Count(e, "}}"):
		return fmt.Errorf("unbalanced {{ }} in the template")
	}
	return nil
}

// Default is the configuration used when no file exists.
func Default() *Config {
	c := &Config{}
	_ = c.init()
	return c
}

// Ignored reports whether a repository-relative path matches an ignore glob.
func (c *Config) Ignored(p string) bool {
	for _, re := range c.ignoreREs {
		if re.MatchString(p) {
			return true
		}
	}
	return false
}

// Rejected reports whether tag was rolled back for the repository URL.
func (c *Config) Rejected(url, tag string) bool {
	for u, tags := range c.RejectedTags {
		if NormalizeURL(u) != NormalizeURL(url) {
			continue
		}
		for _, t := range tags {
			if t == tag {
				return true
			}
		}
	}
	return false
}

// GlobRegexp compiles a glob where ** matches across folders, * and ?
// within one path segment.
func GlobRegexp(g string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(g); i++ {
		c := g[i]
		switch {
		case c == '/' && g[i:] == "/**":
			i += 2
			b.WriteString("(?:/.*)?")
		case c == '*' && i+1 < len(g) && g[i+1] == '*':
			i++
			if i+1 < len(g) && g[i+1] == '/' {
				i++
				b.WriteString("(?:.*/)?")
			} else {
				b.WriteString(".*")
			}
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("(?:/.*)?$")
	return regexp.Compile(b.String())
}

// NormalizeURL reduces a git URL to host/path for comparison, so that
// https://github.com/o/r.git, ssh://git@github.com/o/r and git@github.com:o/r
// are the same repository.
func NormalizeURL(u string) string {
	s := strings.TrimSpace(u)
	s = strings.TrimSuffix(s, "/")
	s = strings.TrimSuffix(s, ".git")
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	} else if at := strings.Index(s, "@"); at >= 0 && strings.Contains(s[at:], ":") {
		// scp-like: git@host:org/repo
		s = s[at+1:]
		s = strings.Replace(s, ":", "/", 1)
	}
	if at := strings.LastIndex(s, "@"); at >= 0 && at < strings.Index(s+"/", "/") {
		s = s[at+1:]
	}
	// Drop a port only when it follows the host.
	if slash := strings.Index(s, "/"); slash > 0 {
		host := s[:slash]
		if c := strings.Index(host, ":"); c >= 0 {
			host = host[:c]
		}
		s = host + s[slash:]
	}
	return strings.ToLower(s)
}

// Package config reads .gitops.yaml, the one configuration file shared by
// the hook and the language server.
package config

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/suggest"
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
	file       string
	pos        map[string]*yaml.Node // key paths to their nodes, for errors
}

// Error is a mistake in the configuration file, with its place.
type Error struct {
	File      string // as given to ParseFile; "" for Parse
	Line, Col int    // 1-based; 0 when the mistake has no place
	Msg       string
}

func (e *Error) Error() string {
	name := e.File
	if name == "" {
		name = FileName
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", name, e.Line, e.Col, e.Msg)
	}
	return name + ": " + e.Msg
}

// Parse reads configuration text. An unknown key or rule severity is an
// error, since silently ignoring it would hide the user's intent.
func Parse(src []byte) (*Config, error) { return ParseFile("", src, nil) }

// ParseFile reads the configuration file name (used in errors). When
// ruleIDs (the catalog) is given, a rule ID not in it is an error too.
// Errors are *Error values naming the line, with the closest valid word
// suggested.
func ParseFile(name string, src []byte, ruleIDs []string) (*Config, error) {
	c := &Config{}
	fail := func(n *yaml.Node, format string, a ...any) error {
		e := &Error{File: name, Msg: fmt.Sprintf(format, a...)}
		if n != nil {
			e.Line, e.Col = n.Line, n.Column
		}
		return e
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		line := 0
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			fmt.Sscan(m[1], &line)
		}
		msg := yamlLineRE.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "")
		return nil, &Error{File: name, Line: line, Col: 1, Msg: "not valid YAML: " + msg}
	}
	if len(doc.Content) == 0 {
		return c, c.init(name, nil)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			return c, c.init(name, nil)
		}
		return nil, fail(root, "the configuration must be a mapping of keys (environments, mirrors, rules, ...)")
	}
	keys := fieldNames()
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		if !slices.Contains(keys, k.Value) {
			return nil, fail(k, "unknown key %q%s (known keys: %s)", k.Value, suggest.DidYouMean(k.Value, keys), strings.Join(keys, ", "))
		}
	}
	if err := root.Decode(c); err != nil {
		line, col := 0, 0
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			fmt.Sscan(m[1], &line)
			col = 1
		}
		msg := yamlLineRE.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n  "), "")
		return nil, &Error{File: name, Line: line, Col: col, Msg: strings.TrimSpace(msg)}
	}
	c.pos = map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		c.pos[k.Value] = k
		for j, item := range v.Content {
			switch v.Kind {
			case yaml.SequenceNode:
				c.pos[fmt.Sprintf("%s[%d]", k.Value, j)] = item
			case yaml.MappingNode:
				if j%2 == 0 {
					c.pos[k.Value+"."+item.Value] = item
				}
			}
		}
	}
	return c, c.init(name, ruleIDs)
}

// yamlLineRE finds the line in go-yaml's error messages.
var yamlLineRE = regexp.MustCompile(`line (\d+): `)

// fieldNames lists the keys of the file, from the Config struct's tags.
func fieldNames() []string {
	var out []string
	t := reflect.TypeOf(Config{})
	for i := 0; i < t.NumField(); i++ {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	return out
}

// Place returns the line and column of a key ("environments"), a list item
// ("environments[1]") or a map entry ("rules.secret/placeholder") of the
// file, or zeros.
func (c *Config) Place(key string) (line, col int) {
	if n := c.pos[key]; n != nil {
		return n.Line, n.Column
	}
	return 0, 0
}

// CheckEnvironments reports configured environments that name no cluster.
func (c *Config) CheckEnvironments(clusters []string) error {
	for i, env := range c.Environments {
		if slices.Contains(clusters, env) {
			continue
		}
		e := &Error{File: c.file, Msg: fmt.Sprintf("environments: %q is not a cluster of this repository%s (clusters: %s)", env, suggest.DidYouMean(env, clusters), strings.Join(clusters, ", "))}
		e.Line, e.Col = c.Place(fmt.Sprintf("environments[%d]", i))
		return e
	}
	return nil
}

func (c *Config) init(file string, ruleIDs []string) error {
	c.file = file
	c.Severities = map[string]diag.Severity{}
	keys := make([]string, 0, len(c.Rules))
	for k := range c.Rules {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, id := range keys {
		at := func(msg string) error {
			e := &Error{File: file, Msg: msg}
			e.Line, e.Col = c.Place("rules." + id)
			return e
		}
		if ruleIDs != nil && !slices.Contains(ruleIDs, id) {
			return at(fmt.Sprintf("rules: unknown rule %q%s (gitops-hook rules lists them)", id, suggest.DidYouMean(id, ruleIDs)))
		}
		s, err := diag.ParseSeverity(c.Rules[id])
		if err != nil {
			return at(fmt.Sprintf("rules.%s: %v", id, err))
		}
		c.Severities[id] = s
	}
	for i, e := range c.Schemas {
		if err := checkSchemaEntry(e); err != nil {
			at := &Error{File: file, Msg: fmt.Sprintf("schemas: %q: %v", e, err)}
			at.Line, at.Col = c.Place(fmt.Sprintf("schemas[%d]", i))
			return at
		}
	}
	for i, g := range c.Ignore {
		re, err := GlobRegexp(g)
		if err != nil {
			e := &Error{File: file, Msg: fmt.Sprintf("ignore %q: %v", g, err)}
			e.Line, e.Col = c.Place(fmt.Sprintf("ignore[%d]", i))
			return e
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
	_ = c.init("", nil)
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

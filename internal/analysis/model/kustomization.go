package model

import (
	"path"
	"regexp"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// KFile is a kustomization.yaml and what it references.
type KFile struct {
	View       *view.View
	File       *yamlfile.File
	Dir        string
	Root       *yaml.Node
	Namespace  string
	Entries    []*Entry
	Generators []*Generator
}

// Entry is one path a kustomization names.
type Entry struct {
	Field  string // resources, components, bases, patches, patchesStrategicMerge, patchesJson6902, crds, configMapGenerator, secretGenerator
	Value  string // the path as written (for generator files without "key=")
	Node   *yaml.Node
	Target string // cleaned path relative to the view root
	// Outside is set when the path leaves the view's root.
	Outside bool
	// Remote is set for URLs and remote git bases.
	Remote bool
}

// Applies reports whether the entry contributes objects (as opposed to
// patches and generator inputs, which are only read).
func (e *Entry) Applies() bool {
	switch e.Field {
	case "resources", "bases", "components", "crds":
		return true
	}
	return false
}

// Generator is a secretGenerator or configMapGenerator entry.
type Generator struct {
	K           *KFile
	Kind        string // Secret or ConfigMap
	Name        string
	NameNode    *yaml.Node
	Namespace   string
	Keys        []GenKey
	DisableHash bool
	Node        *yaml.Node
}

// GenKey is one key a generator produces.
type GenKey struct {
	Key  string
	Node *yaml.Node // the list entry that produces it
	File string     // source file, cleaned, "" for literals
}

// ParseKustomization reads the kustomization file at p.
func ParseKustomization(v *view.View, p string) (*KFile, error) {
	f, err := v.YAML(p)
	if err != nil {
		return nil, err
	}
	k := &KFile{View: v, File: f, Dir: path.Dir(p)}
	if len(f.Docs) == 0 || f.Docs[0].Root.Kind != yaml.MappingNode {
		return k, nil
	}
	root := f.Docs[0].Root
	k.Root = root
	k.Namespace = yamlfile.Str(root, "namespace")
	for _, field := range []string{"resources", "bases", "components", "crds", "patchesStrategicMerge"} {
		for _, it := range yamlfile.Items(yamlfile.Get(root, field)) {
			if yamlfile.IsScalar(it) && !strings.Contains(it.Value, "\n") { // not an inline patch
				k.add(field, it.Value, it)
			}
		}
	}
	for _, field := range []string{"patches", "patchesJson6902"} {
		for _, it := range yamlfile.Items(yamlfile.Get(root, field)) {
			if n := yamlfile.Get(it, "path"); yamlfile.IsScalar(n) {
				k.add(field, n.Value, n)
			}
		}
	}
	disableAll := yamlfile.Str(root, "generatorOptions", "disableNameSuffixHash") == "true"
	for _, gf := range []string{"secretGenerator", "configMapGenerator"} {
		kind := "Secret"
		if gf == "configMapGenerator" {
			kind = "ConfigMap"
		}
		for _, g := range yamlfile.Items(yamlfile.Get(root, gf)) {
			gen := &Generator{K: k, Kind: kind, Node: g,
				Name:      yamlfile.Str(g, "name"),
				Namespace: yamlfile.Str(g, "namespace"),
			}
			_, gen.NameNode = yamlfile.GetKV(g, "name")
			gen.DisableHash = disableAll
			if s := yamlfile.Str(g, "options", "disableNameSuffixHash"); s != "" {
				gen.DisableHash = s == "true"
			}
			for _, it := range yamlfile.Items(yamlfile.Get(g, "files")) {
				if !yamlfile.IsScalar(it) {
					continue
				}
				key, file := splitKeyFile(it.Value)
				e := k.add(gf, file, it)
				gen.Keys = append(gen.Keys, GenKey{Key: key, Node: it, File: e.Target})
			}
			for _, it := range yamlfile.Items(yamlfile.Get(g, "literals")) {
				if yamlfile.IsScalar(it) {
					key, _, _ := strings.Cut(it.Value, "=")
					gen.Keys = append(gen.Keys, GenKey{Key: strings.TrimSpace(key), Node: it})
				}
			}
			envs := yamlfile.Items(yamlfile.Get(g, "envs"))
			if n := yamlfile.Get(g, "env"); yamlfile.IsScalar(n) {
				envs = append(envs, n)
			}
			for _, it := range envs {
				if yamlfile.IsScalar(it) {
					k.add(gf, it.Value, it)
				}
			}
			k.Generators = append(k.Generators, gen)
		}
	}
	return k, nil
}

// splitKeyFile splits a generator files entry "key=path" (key defaults to
// the file's base name).
func splitKeyFile(s string) (key, file string) {
	if k, f, ok := strings.Cut(s, "="); ok {
		return strings.TrimSpace(k), strings.TrimSpace(f)
	}
	return path.Base(strings.TrimSpace(s)), strings.TrimSpace(s)
}

func (k *KFile) add(field, value string, n *yaml.Node) *Entry {
	e := &Entry{Field: field, Value: value, Node: n}
	if IsRemote(value) {
		e.Remote = true
	} else {
		e.Target, e.Outside = resolvePath(k.Dir, value)
	}
	k.Entries = append(k.Entries, e)
	return e
}

// resolvePath joins a relative entry to dir and reports whether it leaves
// the root.
func resolvePath(dir, p string) (string, bool) {
	if strings.HasPrefix(p, "/") {
		return p, true
	}
	c, ok := view.Clean(path.Join(dir, p))
	return c, !ok
}

// IsRemote reports whether a kustomization entry is a URL or remote base,
// in every spelling kustomize takes for one (user@host:path for any user,
// hosts in any case).
func IsRemote(s string) bool {
	s = strings.TrimSpace(s)
	l := strings.ToLower(s)
	for _, p := range []string{"http://", "https://", "git::", "ssh://", "git@", "github.com/", "github.com:", "gitlab.com/", "bitbucket.org/", "oci://"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return userAt.MatchString(s) || strings.Contains(s, "://") || strings.Contains(s, "?ref=") || strings.Contains(s, ".git//")
}

// userAt is how kustomize recognises the user of an scp-like repository
// address (git@host:org/repo, deploy@host:org/repo).
var userAt = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*@`)

// IsPatch reports whether an entry names a patch file, whose objects are
// fragments merged into others rather than objects of their own.
func (e *Entry) IsPatch() bool {
	switch e.Field {
	case "patches", "patchesStrategicMerge", "patchesJson6902":
		return true
	}
	return false
}

// PatchFiles lists the files that kustomizations of the repository name as
// patches and never as resources.
func (r *Repo) PatchFiles() map[string]bool {
	patch, applied := map[string]bool{}, map[string]bool{}
	for _, k := range r.Kustomizations {
		for _, e := range k.Entries {
			switch {
			case e.IsPatch():
				patch[e.Target] = true
			case e.Applies():
				applied[e.Target] = true
			}
		}
	}
	for p := range patch {
		if applied[p] {
			delete(patch, p)
		}
	}
	return patch
}

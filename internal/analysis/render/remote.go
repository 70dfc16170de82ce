package render

import (
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Remote is a kustomization entry that names a URL or a git repository.
// Such entries are never fetched; they are removed before the build and
// reported so the caller can raise kustomize/remote-resource.
type Remote struct {
	File  string // FS-relative kustomization file
	Field string // resources, components or bases
	Entry string
}

// IsRemote reports whether a kustomization entry would make kustomize go to
// the network (an http download or a git clone, which kustomize makes by
// running git). It accepts every spelling kustomize's loader takes for a
// repository: a scheme, user@host (any user), git::, a query, and the
// well-known hosts in any case, github.com: included.
func IsRemote(entry string) bool {
	e := strings.TrimSpace(entry)
	l := strings.ToLower(e)
	switch {
	case strings.Contains(e, "://"),
		userAt.MatchString(e),
		strings.HasPrefix(l, "git::"),
		strings.HasPrefix(l, "github.com:"),
		strings.Contains(e, "?ref="),
		strings.Contains(e, "?version="),
		strings.Contains(e, "?submodules="),
		strings.Contains(e, "/_git/"):
		return true
	}
	for _, host := range []string{"github.com/", "gitlab.com/", "bitbucket.org/", "dev.azure.com/"} {
		if strings.HasPrefix(l, host) {
			return true
		}
	}
	return false
}

// userAt is how kustomize recognises the user of an scp-like repository
// address (git@host:org/repo, deploy@host:org/repo).
var userAt = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*@`)

// IsURL reports whether a file path of a kustomization is a URL (for a
// generator, key=URL), which kustomize's loader downloads.
func IsURL(p string) bool { return strings.Contains(p, "://") }

// stripRemote removes what kustomize would fetch from a kustomization: remote
// entries of resources, components, bases, generators, transformers and
// validators (a git clone), and URLs among the files it reads (patches,
// generator files, CRDs, configurations, replacements, openapi: an http
// download). Content that does not parse is returned unchanged so that
// kustomize reports the syntax error itself.
func stripRemote(file string, data []byte) ([]byte, []Remote) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return data, nil
	}
	var found []Remote
	// keep filters the items of a sequence, recording those it drops.
	keep := func(field string, seq *yaml.Node, remote func(*yaml.Node) (string, bool)) {
		if seq == nil || seq.Kind != yaml.SequenceNode {
			return
		}
		kept := seq.Content[:0]
		for _, item := range seq.Content {
			if entry, ok := remote(item); ok {
				found = append(found, Remote{File: file, Field: field, Entry: entry})
				continue
			}
			kept = append(kept, item)
		}
		seq.Content = kept
	}
	scalar := func(test func(string) bool) func(*yaml.Node) (string, bool) {
		return func(n *yaml.Node) (string, bool) {
			return n.Value, n.Kind == yaml.ScalarNode && test(n.Value)
		}
	}
	pathURL := func(n *yaml.Node) (string, bool) {
		if n.Kind != yaml.MappingNode {
			return "", false
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "path" && n.Content[i+1].Kind == yaml.ScalarNode && IsURL(n.Content[i+1].Value) {
				return n.Content[i+1].Value, true
			}
		}
		return "", false
	}
	m := doc.Content[0]
	content := m.Content[:0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, val := m.Content[i].Value, m.Content[i+1]
		switch key {
		case "resources", "components", "bases", "generators", "transformers", "validators":
			keep(key, val, scalar(IsRemote))
		case "crds", "configurations", "patchesStrategicMerge":
			keep(key, val, scalar(IsURL))
		case "patches", "patchesJson6902", "replacements":
			keep(key, val, pathURL)
		case "configMapGenerator", "secretGenerator":
			if val.Kind == yaml.SequenceNode {
				for _, g := range val.Content {
					if g.Kind != yaml.MappingNode {
						continue
					}
					gc := g.Content[:0]
					for j := 0; j+1 < len(g.Content); j += 2 {
						switch gk, gv := g.Content[j].Value, g.Content[j+1]; gk {
						case "files", "envs":
							keep(key, gv, scalar(IsURL))
						case "env":
							if gv.Kind == yaml.ScalarNode && IsURL(gv.Value) {
								found = append(found, Remote{File: file, Field: key, Entry: gv.Value})
								continue
							}
						}
						gc = append(gc, g.Content[j], g.Content[j+1])
					}
					g.Content = gc
				}
			}
		case "openapi":
			if u, ok := pathURL(val); ok {
				found = append(found, Remote{File: file, Field: key, Entry: u})
				continue
			}
		}
		content = append(content, m.Content[i], val)
	}
	m.Content = content
	if len(found) == 0 {
		return data, nil
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return data, nil
	}
	return out, found
}

// setsOpenAPI reports whether a kustomization has a top-level openapi field,
// which makes kustomize change its global schema.
func setsOpenAPI(data []byte) bool {
	if !strings.Contains(string(data), "openapi") {
		return false
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return false
	}
	_, ok := doc["openapi"]
	return ok
}

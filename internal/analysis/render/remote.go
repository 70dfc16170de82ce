package render

import (
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
// the network (an http download or a git clone).
func IsRemote(entry string) bool {
	e := strings.TrimSpace(entry)
	switch {
	case strings.Contains(e, "://"),
		strings.HasPrefix(e, "git@"),
		strings.HasPrefix(e, "git::"),
		strings.Contains(e, "?ref="),
		strings.Contains(e, "?version="),
		strings.Contains(e, "?submodules="),
		strings.Contains(e, "/_git/"):
		return true
	}
	for _, host := range []string{"github.com/", "gitlab.com/", "bitbucket.org/", "dev.azure.com/"} {
		if strings.HasPrefix(e, host) {
			return true
		}
	}
	return false
}

// stripRemote removes remote entries from a kustomization's resources,
// components and bases. Content that does not parse is returned unchanged so
// that kustomize reports the syntax error itself.
func stripRemote(file string, data []byte) ([]byte, []Remote) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return data, nil
	}
	var found []Remote
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, val := m.Content[i].Value, m.Content[i+1]
		if (key != "resources" && key != "components" && key != "bases") || val.Kind != yaml.SequenceNode {
			continue
		}
		kept := val.Content[:0]
		for _, item := range val.Content {
			if item.Kind == yaml.ScalarNode && IsRemote(item.Value) {
				found = append(found, Remote{File: file, Field: key, Entry: item.Value})
				continue
			}
			kept = append(kept, item)
		}
		val.Content = kept
	}
	if len(found) == 0 {
		return data, nil
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return data, nil
	}
	return out, found
}

package rules

import (
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
)

// pullLabel names the source and ref a pull reads, as "name@ref".
func pullLabel(p *model.Pull) string {
	if p.Source == nil {
		return "this repository"
	}
	return p.Source.Obj.Name + "@" + strings.TrimPrefix(p.Ref, "branch ")
}

// firstObject returns a repository file and its first object that
// matches, or a nil object.
func firstObject(c *Pass, p string, match func(*model.Object) bool) (*yamlfile.File, *model.Object) {
	f, err := c.Repo.View.YAML(p)
	if err != nil {
		return nil, nil
	}
	for _, o := range c.Repo.ObjectsIn(c.Repo.View, f) {
		if match(o) {
			return f, o
		}
	}
	return f, nil
}

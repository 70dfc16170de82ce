package rules

import (
	"fmt"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// remoteConfigFields are the kustomization fields whose remote entries the
// builds remove and that are no model entries (those are resources,
// components, bases, patches, CRDs and generator files, checked by
// entryProblem).
var remoteConfigFields = []string{"generators", "transformers", "validators", "configurations", "replacements", "openapi"}

// checkRemoteConfigs reports kustomize/remote-resource for the remote
// plugin configurations, configurations, replacements and openapi files of
// a kustomization: kustomize would download or clone them; the builds
// remove them and never fetch anything. The classification is render's
// stripRemote's: IsRemote for plugin configurations, IsURL for files.
func checkRemoteConfigs(c *Pass, k *model.KFile) {
	if k.Root == nil {
		return
	}
	report := func(field string, n *yaml.Node) {
		c.Report(catalog.KustomizeRemoteResource, k.File, n,
			fmt.Sprintf("%s entry %q is remote: it is not fetched or checked, and the analysis renders without it", field, n.Value))
	}
	url := func(n *yaml.Node) bool {
		return n != nil && n.Kind == yaml.ScalarNode && render.IsURL(n.Value)
	}
	for _, field := range remoteConfigFields {
		v := yamlfile.Get(k.Root, field)
		if v == nil {
			continue
		}
		switch field {
		case "generators", "transformers", "validators", "configurations":
			if v.Kind != yaml.SequenceNode {
				continue
			}
			for _, it := range v.Content {
				if it.Kind == yaml.ScalarNode && (url(it) || (field != "configurations" && render.IsRemote(it.Value))) {
					report(field, it)
				}
			}
		case "replacements":
			if v.Kind != yaml.SequenceNode {
				continue
			}
			for _, it := range v.Content {
				if p := yamlfile.Get(it, "path"); url(p) {
					report(field, p)
				}
			}
		case "openapi":
			if p := yamlfile.Get(v, "path"); url(p) {
				report(field, p)
			}
		}
	}
}

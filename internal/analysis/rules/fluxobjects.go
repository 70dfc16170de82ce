package rules

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
)

// removedAPIs maps apiVersions removed in Flux 2.7/2.8 to their replacement.
var removedAPIs = map[string]string{
	"kustomize.toolkit.fluxcd.io/v1beta1": "kustomize.toolkit.fluxcd.io/v1",
	"kustomize.toolkit.fluxcd.io/v1beta2": "kustomize.toolkit.fluxcd.io/v1",
	"source.toolkit.fluxcd.io/v1beta1":    "source.toolkit.fluxcd.io/v1",
	"source.toolkit.fluxcd.io/v1beta2":    "source.toolkit.fluxcd.io/v1",
	"helm.toolkit.fluxcd.io/v2beta1":      "helm.toolkit.fluxcd.io/v2",
	"helm.toolkit.fluxcd.io/v2beta2":      "helm.toolkit.fluxcd.io/v2",
}

// removedFields lists fields removed at GA, per kind, as paths under spec.
var removedFields = map[string][][]string{
	"Kustomization": {{"spec", "patchesStrategicMerge"}, {"spec", "patchesJson6902"}, {"spec", "validation"}},
	"HelmRelease":   {{"spec", "chart", "spec", "valuesFile"}},
	"GitRepository": {{"spec", "gitImplementation"}, {"spec", "accessFrom"}},
}

var gitURLRE = regexp.MustCompile(`^(http|https|ssh)://`)

// repoObjects lists the objects written in the repository itself, in file order.
func repoObjects(c *Pass) []*model.Object { return c.Repo.Objects }

var fluxObjects = &Check{
	Name:    "flux-objects",
	Reports: []*catalog.Rule{catalog.FluxAPIRemoved, catalog.FluxFieldRemoved, catalog.FluxSuspended, catalog.FluxGitURL, catalog.FluxHelmReleaseChart},
	Run:     func(p *Pass) error { checkFluxObjects(p); return nil },
}

func checkFluxObjects(c *Pass) {
	patches := c.Repo.PatchFiles()
	for _, o := range repoObjects(c) {
		if c.cancelled() {
			return
		}
		if !o.IsFlux() {
			continue
		}
		n := o.Node()
		if repl, ok := removedAPIs[o.APIVersion]; ok {
			_, v := yamlfile.GetKV(n, "apiVersion")
			c.Report(catalog.FluxAPIRemoved, o.File, v,
				fmt.Sprintf("%s was removed in Flux 2.7/2.8; use %s (and migrate its removed fields)", o.APIVersion, repl),
				diag.Fix{Title: "Migrate to " + repl, Kind: diag.Safe, Edits: []diag.Edit{Replace(o.File, v, repl)}})
		}
		for _, fp := range removedFields[o.Kind] {
			if k, _ := yamlfile.GetKV(n, fp...); k != nil {
				c.Report(catalog.FluxFieldRemoved, o.File, k, fmt.Sprintf("%s.%s was removed at Flux GA; %s", o.Kind, strings.Join(fp, "."), removedFieldAdvice(fp[len(fp)-1])))
			}
		}
		if k, v := yamlfile.GetKV(n, "spec", "suspend"); k != nil && v.Value == "true" {
			c.Report(catalog.FluxSuspended, o.File, v,
				fmt.Sprintf("%s %s is committed with suspend: true, so Flux does not reconcile it (a rollback left behind?)", o.Kind, o.Name),
				diag.Fix{Title: "Set suspend: false", Edits: []diag.Edit{Replace(o.File, v, "false")}})
		}
		if o.Kind == "GitRepository" {
			if _, v := yamlfile.GetKV(n, "spec", "url"); yamlfile.IsScalar(v) && !gitURLRE.MatchString(v.Value) {
				c.Report(catalog.FluxGitURL, o.File, v, gitURLMessage(v.Value))
			}
		}
		if o.Kind == "HelmRelease" {
			ck, _ := yamlfile.GetKV(n, "spec", "chart")
			rk, _ := yamlfile.GetKV(n, "spec", "chartRef")
			switch {
			case ck != nil && rk != nil:
				c.Report(catalog.FluxHelmReleaseChart, o.File, rk, fmt.Sprintf("HelmRelease %s sets both chart and chartRef; keep exactly one", o.Name))
			case ck == nil && rk == nil && !patches[o.File.Path]:
				// A patch (values for one environment) is merged into a
				// HelmRelease that has the chart.
				sk, _ := yamlfile.GetKV(n, "spec")
				if sk == nil {
					sk, _ = yamlfile.GetKV(n, "kind")
				}
				c.Report(catalog.FluxHelmReleaseChart, o.File, sk, fmt.Sprintf("HelmRelease %s sets neither chart nor chartRef; it has nothing to install", o.Name))
			}
		}
	}
}

func removedFieldAdvice(field string) string {
	switch field {
	case "patchesStrategicMerge", "patchesJson6902":
		return "move the patches to spec.patches"
	case "validation":
		return "remove it (server-side apply always validates)"
	case "valuesFile":
		return "use spec.chart.spec.valuesFiles"
	case "gitImplementation":
		return "remove it (go-git is the only implementation)"
	case "accessFrom":
		return "remove it"
	}
	return "remove it"
}

func gitURLMessage(u string) string {
	msg := fmt.Sprintf("url %q is not http://, https:// or ssh://; Flux rejects it", u)
	if at := strings.Index(u, "@"); at >= 0 {
		if colon := strings.Index(u[at:], ":"); colon > 0 {
			host := u[at+1 : at+colon]
			rest := u[at+colon+1:]
			msg += fmt.Sprintf(" (write it as ssh://%s/%s)", u[:at+1]+host, rest)
		}
	}
	return msg
}

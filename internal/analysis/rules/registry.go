// Package rules holds the rule catalog and the checks that produce its
// findings. A check reads the model and reports plain diagnostics.
package rules

import "github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"

// Info describes one rule of the catalog.
type Info struct {
	ID          string
	Severity    diag.Severity
	Description string
	Fix         string // the quick fix offered, if any
}

// Catalog lists every rule. IDs are stable: users filter, suppress and
// search by them.
func Catalog() []Info {
	return []Info{
		{"yaml/syntax", diag.Error, "a YAML document does not parse", ""},
		{"yaml/duplicate-key", diag.Error, "a mapping repeats a key", ""},

		{"kustomize/missing-file", diag.Error, "a resources, components, patches or generator entry names nothing that exists", ""},
		{"kustomize/outside-root", diag.Error, "an entry resolves outside the repository (or outside the base tree)", ""},
		{"kustomize/remote-resource", diag.Warning, "an entry is a URL or remote git base; reported, never fetched", ""},
		{"kustomize/deprecated-field", diag.Warning, "bases, patchesStrategicMerge, patchesJson6902, vars or commonLabels is used", "rewrite to resources / patches"},
		{"kustomize/build", diag.Error, "rendering a Flux Kustomization's path fails", ""},
		{"kustomize/patch-no-match", diag.Warning, "a Flux Kustomization's spec.patches target names an object the build does not render, so the patch is silently skipped", ""},
		{"kustomize/unused-file", diag.Warning, "a YAML file under an overlay's services/<svc>/ is reached by no kustomization and no Flux path", "add to resources"},

		{"schema/invalid", diag.Error, "an object violates its schema (type, enum, pattern, required)", ""},
		{"schema/unknown-field", diag.Error, "a field the schema does not know", ""},
		{"schema/missing", diag.Info, "no schema is known for an apiVersion/kind", ""},

		{"flux/api-removed", diag.Error, "a Flux apiVersion removed in Flux 2.7/2.8 is used", "migrate apiVersion"},
		{"flux/field-removed", diag.Error, "a field removed at Flux GA is used", ""},
		{"flux/source-not-found", diag.Error, "a sourceRef matches no source applied to the same cluster", ""},
		{"flux/path-not-found", diag.Error, "spec.path does not exist in its source (at the pinned ref for external sources)", ""},
		{"flux/path-no-kustomization", diag.Warning, "spec.path has no kustomization.yaml and holds YAML that is not a Kubernetes object", ""},
		{"flux/path-other-cluster", diag.Error, "a Kustomization applied to one cluster points into another cluster's overlay", "rewrite the path"},
		{"flux/not-applied", diag.Error, "a Flux object file is not listed in its folder's kustomization.yaml", "add it to resources"},
		{"flux/dependson-not-found", diag.Error, "a dependsOn entry names no Kustomization (HelmRelease) of the same cluster", ""},
		{"flux/dependson-cycle", diag.Error, "dependsOn forms a cycle", ""},
		{"flux/decryption-missing", diag.Error, "a SOPS-encrypted file is reached by a Kustomization without spec.decryption", "add decryption"},
		{"flux/suspended", diag.Warning, "suspend: true is committed", "set suspend: false"},
		{"flux/git-url", diag.Error, "a GitRepository url is not http://, https:// or ssh://", ""},
		{"flux/helmrelease-chart", diag.Error, "a HelmRelease has both or neither of chart and chartRef", ""},
		{"flux/duplicate-object", diag.Error, "two Flux Kustomizations of one cluster render the same object (kind, namespace, name), so they take turns owning it and pruning either deletes it", "point spec.path at the intended sub-folder"},

		{"tag/not-a-string", diag.Error, "ref.tag is an unquoted number", "quote it"},
		{"tag/unpinned", diag.Warning, "a GitRepository for another repository follows a branch or has no ref", "pin the newest tag"},
		{"tag/not-found", diag.Error, "ref.tag names no tag of that repository", "pin the nearest existing tag"},
		{"tag/unverified", diag.Info, "the repository could not be read: tag and base checks skipped", ""},
		{"tag/mixed", diag.Warning, "sources of one repository within one cluster pin different refs", "align to one tag"},
		{"tag/order", diag.Warning, "a later environment pins a newer tag than the environment before it", ""},
		{"tag/rejected", diag.Error, "the tag is listed in rejectedTags (it was rolled back)", "pin previous tag"},
		{"tag/update-available", diag.Info, "a newer tag exists", "upgrade to it"},

		{"values/override-not-consumed", diag.Error, "an override Secret/ConfigMap or key is read by no valuesFrom of the base HelmRelease", "rename to the expected name/key"},
		{"values/hash-suffix", diag.Error, "a generator read by name from valuesFrom lacks disableNameSuffixHash", "add the option"},

		{"secret/unencrypted", diag.Error, "a Secret manifest without sops, or with a plain value", ""},
		{"secret/private-key", diag.Error, "a private key or token in a file", ""},
		{"secret/placeholder", diag.Warning, "CHANGEME or PLACEHOLDER- left in a value", ""},

		{"repo/base-read-only", diag.Error, "the change edits files under applications/base/", ""},
		{"repo/unreadable", diag.Warning, "a file cannot be read (symbolic link loop, link leaving the repository)", ""},
		{"repo/file-too-large", diag.Warning, "a YAML file is too large to analyse", ""},

		{"promotion/skipped-env", diag.Warning, "a service exists in an environment but not in the one before it", "promote from the earlier one"},
		{"promotion/review", diag.Info, "after a promotion, a value that usually differs per environment is unchanged", ""},
		{"promotion/pending", diag.Info, "a service's overlay differs between consecutive environments", "promote to the next environment"},
	}
}

// Lookup returns the catalog entry for id.
func Lookup(id string) (Info, bool) {
	for _, r := range Catalog() {
		if r.ID == id {
			return r, true
		}
	}
	return Info{}, false
}

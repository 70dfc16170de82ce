// Package catalog declares every rule: its ID, default severity, what it
// finds and the fix it offers. It links nothing but diag, so a front end
// that only lists or formats rules (the report writers) stays light. The
// checks that report these rules live in package rules.
package catalog

import "github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"

// Rule is one rule of the catalog. IDs are stable: users filter, suppress
// and search by them. Compare rules by pointer or by ID.
type Rule struct {
	ID       string
	Severity diag.Severity
	Doc      string // what the rule finds
	Fix      string // the quick fix offered, if any
}

// The rules, in the order the catalog lists them.
var (
	YAMLSyntax         = &Rule{ID: "yaml/syntax", Severity: diag.Error, Doc: "a YAML document does not parse", Fix: ""}
	YAMLDuplicateKey   = &Rule{ID: "yaml/duplicate-key", Severity: diag.Error, Doc: "a mapping repeats a key", Fix: ""}
	YAMLAliasExpansion = &Rule{ID: "yaml/alias-expansion", Severity: diag.Error, Doc: "a file's YAML aliases expand to more than 100,000 nodes (an alias bomb); the file is refused unread", Fix: ""}

	KustomizeMissingFile     = &Rule{ID: "kustomize/missing-file", Severity: diag.Error, Doc: "a resources, components, patches or generator entry names nothing that exists", Fix: ""}
	KustomizeOutsideRoot     = &Rule{ID: "kustomize/outside-root", Severity: diag.Error, Doc: "an entry resolves outside the repository (or outside the base tree)", Fix: ""}
	KustomizeRemoteResource  = &Rule{ID: "kustomize/remote-resource", Severity: diag.Warning, Doc: "an entry is a URL or remote git base; reported, never fetched", Fix: ""}
	KustomizeDeprecatedField = &Rule{ID: "kustomize/deprecated-field", Severity: diag.Warning, Doc: "bases, patchesStrategicMerge, patchesJson6902, vars or commonLabels is used", Fix: "rewrite to resources / patches"}
	KustomizeBuild           = &Rule{ID: "kustomize/build", Severity: diag.Error, Doc: "rendering a Flux Kustomization's path fails", Fix: ""}
	KustomizePatchNoMatch    = &Rule{ID: "kustomize/patch-no-match", Severity: diag.Warning, Doc: "a Flux Kustomization's spec.patches target names an object the build does not render, so the patch is silently skipped", Fix: ""}
	KustomizeUnusedFile      = &Rule{ID: "kustomize/unused-file", Severity: diag.Warning, Doc: "a YAML file under an overlay's services/<svc>/ is reached by no kustomization and no Flux path", Fix: "add to resources"}

	SchemaInvalid      = &Rule{ID: "schema/invalid", Severity: diag.Error, Doc: "an object violates its schema (type, enum, pattern, required)", Fix: ""}
	SchemaUnknownField = &Rule{ID: "schema/unknown-field", Severity: diag.Error, Doc: "a field the schema does not know", Fix: ""}
	SchemaMissing      = &Rule{ID: "schema/missing", Severity: diag.Info, Doc: "no schema is known for an apiVersion/kind", Fix: ""}

	FluxAPIRemoved          = &Rule{ID: "flux/api-removed", Severity: diag.Error, Doc: "a Flux apiVersion removed in Flux 2.7/2.8 is used", Fix: "migrate apiVersion"}
	FluxFieldRemoved        = &Rule{ID: "flux/field-removed", Severity: diag.Error, Doc: "a field removed at Flux GA is used", Fix: ""}
	FluxSourceNotFound      = &Rule{ID: "flux/source-not-found", Severity: diag.Error, Doc: "a sourceRef matches no source applied to the same cluster", Fix: ""}
	FluxPathNotFound        = &Rule{ID: "flux/path-not-found", Severity: diag.Error, Doc: "spec.path does not exist in its source (at the pinned ref for external sources)", Fix: ""}
	FluxPathNoKustomization = &Rule{ID: "flux/path-no-kustomization", Severity: diag.Warning, Doc: "spec.path has no kustomization.yaml and holds YAML that is not a Kubernetes object", Fix: ""}
	FluxPathOtherCluster    = &Rule{ID: "flux/path-other-cluster", Severity: diag.Error, Doc: "a Kustomization applied to one cluster points into another cluster's overlay", Fix: "rewrite the path"}
	FluxNotApplied          = &Rule{ID: "flux/not-applied", Severity: diag.Error, Doc: "a Flux object file is not listed in its folder's kustomization.yaml", Fix: "add it to resources"}
	FluxDependsOnNotFound   = &Rule{ID: "flux/dependson-not-found", Severity: diag.Error, Doc: "a dependsOn entry names no Kustomization (HelmRelease) of the same cluster", Fix: ""}
	FluxDependsOnCycle      = &Rule{ID: "flux/dependson-cycle", Severity: diag.Error, Doc: "dependsOn forms a cycle", Fix: ""}
	FluxDecryptionMissing   = &Rule{ID: "flux/decryption-missing", Severity: diag.Error, Doc: "a SOPS-encrypted file is reached by a Kustomization without spec.decryption", Fix: "add decryption"}
	FluxSuspended           = &Rule{ID: "flux/suspended", Severity: diag.Warning, Doc: "suspend: true is committed", Fix: "set suspend: false"}
	FluxGitURL              = &Rule{ID: "flux/git-url", Severity: diag.Error, Doc: "a GitRepository url is not http://, https:// or ssh://", Fix: ""}
	FluxHelmReleaseChart    = &Rule{ID: "flux/helmrelease-chart", Severity: diag.Error, Doc: "a HelmRelease has both or neither of chart and chartRef", Fix: ""}
	FluxNamespaceNotFound   = &Rule{ID: "flux/namespace-not-found", Severity: diag.Error, Doc: "a targetNamespace is created by no Namespace of the repository, is used nowhere else, and is one edit away from a namespace that exists: a typo, and Flux fails with namespace not found", Fix: "use the namespace meant"}
	FluxDuplicateObject     = &Rule{ID: "flux/duplicate-object", Severity: diag.Error, Doc: "two Flux Kustomizations of one cluster render the same object (kind, namespace, name), so they take turns owning it and pruning either deletes it", Fix: "point spec.path at the intended sub-folder"}

	TagNotAString      = &Rule{ID: "tag/not-a-string", Severity: diag.Error, Doc: "ref.tag is an unquoted number", Fix: "quote it"}
	TagUnpinned        = &Rule{ID: "tag/unpinned", Severity: diag.Warning, Doc: "a GitRepository for another repository follows a branch or has no ref", Fix: "pin the newest tag"}
	TagNotFound        = &Rule{ID: "tag/not-found", Severity: diag.Error, Doc: "ref.tag names no tag of that repository", Fix: "pin the nearest existing tag"}
	TagUnverified      = &Rule{ID: "tag/unverified", Severity: diag.Info, Doc: "the repository could not be read: tag and base checks skipped", Fix: ""}
	TagMixed           = &Rule{ID: "tag/mixed", Severity: diag.Warning, Doc: "sources of one repository within one cluster pin different refs", Fix: "align to one tag"}
	TagOrder           = &Rule{ID: "tag/order", Severity: diag.Warning, Doc: "a later environment pins a newer tag than the environment before it", Fix: ""}
	TagRejected        = &Rule{ID: "tag/rejected", Severity: diag.Error, Doc: "the tag is listed in rejectedTags (it was rolled back)", Fix: "pin previous tag"}
	TagUpdateAvailable = &Rule{ID: "tag/update-available", Severity: diag.Info, Doc: "a newer tag exists", Fix: "upgrade to it"}

	ValuesOverrideNotConsumed = &Rule{ID: "values/override-not-consumed", Severity: diag.Error, Doc: "an override Secret/ConfigMap or key is read by no valuesFrom of the base HelmRelease", Fix: "rename to the expected name/key"}
	ValuesHashSuffix          = &Rule{ID: "values/hash-suffix", Severity: diag.Error, Doc: "a generator read by name from valuesFrom lacks disableNameSuffixHash", Fix: "add the option"}

	SecretUnencrypted = &Rule{ID: "secret/unencrypted", Severity: diag.Error, Doc: "a Secret manifest without sops, or with a plain value", Fix: ""}
	SecretPrivateKey  = &Rule{ID: "secret/private-key", Severity: diag.Error, Doc: "a private key or token in a file", Fix: ""}
	SecretPlaceholder = &Rule{ID: "secret/placeholder", Severity: diag.Warning, Doc: "CHANGEME or PLACEHOLDER- left in a value", Fix: ""}

	RepoBaseReadOnly = &Rule{ID: "repo/base-read-only", Severity: diag.Error, Doc: "the change edits files under applications/base/", Fix: ""}
	RepoUnreadable   = &Rule{ID: "repo/unreadable", Severity: diag.Warning, Doc: "a file cannot be read (symbolic link loop, link leaving the repository)", Fix: ""}
	RepoFileTooLarge = &Rule{ID: "repo/file-too-large", Severity: diag.Warning, Doc: "a YAML file is too large to analyse", Fix: ""}

	PromotionSkippedEnv = &Rule{ID: "promotion/skipped-env", Severity: diag.Warning, Doc: "a service exists in an environment but not in the one before it", Fix: "promote from the earlier one"}
	PromotionReview     = &Rule{ID: "promotion/review", Severity: diag.Info, Doc: "after a promotion, a value that usually differs per environment is unchanged", Fix: ""}
	PromotionPending    = &Rule{ID: "promotion/pending", Severity: diag.Info, Doc: "a service's overlay differs between consecutive environments", Fix: "promote to the next environment"}
)

var all = []*Rule{
	YAMLSyntax,
	YAMLDuplicateKey,
	YAMLAliasExpansion,
	KustomizeMissingFile,
	KustomizeOutsideRoot,
	KustomizeRemoteResource,
	KustomizeDeprecatedField,
	KustomizeBuild,
	KustomizePatchNoMatch,
	KustomizeUnusedFile,
	SchemaInvalid,
	SchemaUnknownField,
	SchemaMissing,
	FluxAPIRemoved,
	FluxFieldRemoved,
	FluxSourceNotFound,
	FluxPathNotFound,
	FluxPathNoKustomization,
	FluxPathOtherCluster,
	FluxNotApplied,
	FluxDependsOnNotFound,
	FluxDependsOnCycle,
	FluxDecryptionMissing,
	FluxSuspended,
	FluxGitURL,
	FluxHelmReleaseChart,
	FluxNamespaceNotFound,
	FluxDuplicateObject,
	TagNotAString,
	TagUnpinned,
	TagNotFound,
	TagUnverified,
	TagMixed,
	TagOrder,
	TagRejected,
	TagUpdateAvailable,
	ValuesOverrideNotConsumed,
	ValuesHashSuffix,
	SecretUnencrypted,
	SecretPrivateKey,
	SecretPlaceholder,
	RepoBaseReadOnly,
	RepoUnreadable,
	RepoFileTooLarge,
	PromotionSkippedEnv,
	PromotionReview,
	PromotionPending,
}

var byID = func() map[string]*Rule {
	m := make(map[string]*Rule, len(all))
	for _, r := range all {
		m[r.ID] = r
	}
	return m
}()

// All lists every rule, in catalog order. The slice is a copy; the rules
// are shared and must not be modified.
func All() []*Rule { return append([]*Rule(nil), all...) }

// Lookup returns the rule with the given ID.
func Lookup(id string) (*Rule, bool) {
	r, ok := byID[id]
	return r, ok
}

// SeverityOf returns the default severity of the rule with the given ID,
// and Error for an ID the catalog does not know.
func SeverityOf(id string) diag.Severity {
	if r, ok := byID[id]; ok {
		return r.Severity
	}
	return diag.Error
}

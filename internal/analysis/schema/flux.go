package schema

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// fluxRules enforces the Flux CRD CEL rules and patterns that matter most,
// so they are checked even when the repository carries no CRDs.
func fluxRules(obj map[string]any) []Violation {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	group, _, _ := strings.Cut(apiVersion, "/")
	if !strings.HasSuffix(group, ".toolkit.fluxcd.io") {
		return nil
	}
	spec, _ := obj["spec"].(map[string]any)
	if spec == nil {
		return nil
	}
	var out []Violation
	interval := regexp.MustCompile(`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`)
	checkDuration := func(m map[string]any, path ...string) {
		v, ok := m[path[len(path)-1]]
		if !ok {
			return
		}
		if s, isStr := v.(string); !isStr || !interval.MatchString(s) {
			out = append(out, Violation{Kind: Invalid, Path: path,
				Message: fmt.Sprintf("%v does not match %s (a duration such as 5m or 1h30m)", v, interval)})
		}
	}
	for _, f := range []string{"interval", "retryInterval", "timeout"} {
		checkDuration(spec, "spec", f)
	}
	checkEnum := func(m any, allowed []string, path ...string) {
		for _, k := range path[:len(path)-1] {
			mm, _ := m.(map[string]any)
			m = mm[k]
		}
		mm, _ := m.(map[string]any)
		v, ok := mm[path[len(path)-1]]
		if !ok {
			return
		}
		if s, isStr := v.(string); !isStr || !slices.Contains(allowed, s) {
			out = append(out, Violation{Kind: Invalid, Path: path,
				Message: fmt.Sprintf("%v is not one of %s", v, strings.Join(allowed, ", "))})
		}
	}
	switch {
	case group == "kustomize.toolkit.fluxcd.io" && kind == "Kustomization":
		checkEnum(obj, []string{"OCIRepository", "GitRepository", "Bucket", "ExternalArtifact"}, "spec", "sourceRef", "kind")
	case group == "helm.toolkit.fluxcd.io" && kind == "HelmRelease":
		checkEnum(obj, []string{"OCIRepository", "HelmChart", "ExternalArtifact"}, "spec", "chartRef", "kind")
		checkEnum(obj, []string{"HelmRepository", "GitRepository", "Bucket"}, "spec", "chart", "spec", "sourceRef", "kind")
		_, chart := spec["chart"]
		_, chartRef := spec["chartRef"]
		if chart == chartRef {
			out = append(out, Violation{Kind: Invalid, Path: []string{"spec"},
				Message: "exactly one of spec.chart or spec.chartRef must be set"})
		}
		if c, ok := spec["chart"].(map[string]any); ok {
			if cs, ok := c["spec"].(map[string]any); ok {
				checkDuration(cs, "spec", "chart", "spec", "interval")
			}
		}
	case group == "source.toolkit.fluxcd.io" && kind == "GitRepository":
		if u, ok := spec["url"]; ok {
			if s, isStr := u.(string); !isStr || !regexp.MustCompile(`^(http|https|ssh)://.*$`).MatchString(s) {
				out = append(out, Violation{Kind: Invalid, Path: []string{"spec", "url"},
					Message: fmt.Sprintf("%v does not match ^(http|https|ssh)://.*$", u)})
			}
		}
	}
	return out
}

// covered reports whether the schema already flagged the same field.
func covered(vs []Violation, v Violation) bool {
	for _, x := range vs {
		if slices.Equal(x.Path, v.Path) {
			return true
		}
	}
	return false
}

// fluxSpecFields are the spec fields of the current Flux APIs, for unknown
// field checks (a typo such as spec.pth) when the repository carries no
// Flux CRDs. With the CRDs, the full schema is used instead.
var fluxSpecFields = map[string][]string{
	"kustomize.toolkit.fluxcd.io/v1/Kustomization": {"buildMetadata", "commonMetadata", "components", "decryption", "deletionPolicy", "dependsOn", "force", "healthCheckExprs", "healthChecks", "ignore", "ignoreMissingComponents", "images", "interval", "kubeConfig", "namePrefix", "nameSuffix", "patches", "path", "postBuild", "prune", "retryInterval", "serviceAccountName", "sourceRef", "suspend", "targetNamespace", "timeout", "wait"},
	"source.toolkit.fluxcd.io/v1/GitRepository":    {"ignore", "include", "interval", "provider", "proxySecretRef", "recurseSubmodules", "ref", "secretRef", "serviceAccountName", "sparseCheckout", "suspend", "timeout", "url", "verify"},
	"source.toolkit.fluxcd.io/v1/HelmRepository":   {"accessFrom", "certSecretRef", "insecure", "interval", "passCredentials", "provider", "secretRef", "suspend", "timeout", "type", "url"},
	"source.toolkit.fluxcd.io/v1/OCIRepository":    {"certSecretRef", "ignore", "insecure", "interval", "layerSelector", "provider", "proxySecretRef", "ref", "secretRef", "serviceAccountName", "suspend", "timeout", "url", "verify"},
	"helm.toolkit.fluxcd.io/v2/HelmRelease":        {"chart", "chartRef", "commonMetadata", "dependsOn", "driftDetection", "healthCheckExprs", "install", "interval", "kubeConfig", "maxHistory", "persistentClient", "postRenderStrategy", "postRenderers", "releaseName", "rollback", "serviceAccountName", "storageNamespace", "suspend", "targetNamespace", "test", "timeout", "uninstall", "upgrade", "values", "valuesFrom", "waitStrategy"},
}

// fluxNestedFields are the fields of objects nested in the spec of the
// current Flux kinds, by their path under spec, so that a typo such as
// spec.test.enabled is caught without the CRDs too.
var fluxNestedFields = map[string]map[string][]string{
	"helm.toolkit.fluxcd.io/v2/HelmRelease": {
		"chart":               {"metadata", "spec"},
		"chart.metadata":      {"annotations", "labels"},
		"chart.spec":          {"chart", "ignoreMissingValuesFiles", "interval", "reconcileStrategy", "sourceRef", "valuesFiles", "verify", "version"},
		"chartRef":            {"apiVersion", "kind", "name", "namespace"},
		"commonMetadata":      {"annotations", "labels"},
		"driftDetection":      {"ignore", "mode"},
		"install":             {"crds", "createNamespace", "disableHooks", "disableOpenAPIValidation", "disableSchemaValidation", "disableTakeOwnership", "disableWait", "disableWaitForJobs", "remediation", "replace", "serverSideApply", "skipCRDs", "strategy", "timeout"},
		"install.remediation": {"ignoreTestFailures", "remediateLastFailure", "retries"},
		"install.strategy":    {"name", "retryInterval"},
		"kubeConfig":          {"configMapRef", "secretRef"},
		"rollback":            {"cleanupOnFail", "disableHooks", "disableWait", "disableWaitForJobs", "force", "recreate", "serverSideApply", "timeout"},
		"test":                {"enable", "filters", "ignoreFailures", "timeout"},
		"uninstall":           {"deletionPropagation", "disableHooks", "disableWait", "keepHistory", "timeout"},
		"upgrade":             {"chartNameChangeStrategy", "cleanupOnFail", "crds", "disableHooks", "disableOpenAPIValidation", "disableSchemaValidation", "disableTakeOwnership", "disableWait", "disableWaitForJobs", "force", "preserveValues", "remediation", "serverSideApply", "strategy", "timeout"},
		"upgrade.remediation": {"ignoreTestFailures", "remediateLastFailure", "retries", "strategy"},
		"upgrade.strategy":    {"name", "retryInterval"},
		"waitStrategy":        {"name"},
	},
	"kustomize.toolkit.fluxcd.io/v1/Kustomization": {
		"commonMetadata":       {"annotations", "labels"},
		"decryption":           {"provider", "secretRef", "serviceAccountName"},
		"decryption.secretRef": {"name"},
		"kubeConfig":           {"configMapRef", "secretRef"},
		"postBuild":            {"substitute", "substituteFrom", "substituteStrategy"},
		"sourceRef":            {"apiVersion", "kind", "name", "namespace"},
	},
}

// fluxFields reports unknown top-level, spec and nested spec fields of the
// current Flux kinds.
func fluxFields(obj map[string]any) []Violation {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	known, ok := fluxSpecFields[apiVersion+"/"+kind]
	if !ok {
		return nil
	}
	var out []Violation
	for _, k := range sortedKeys(obj) {
		if !slices.Contains([]string{"apiVersion", "kind", "metadata", "spec", "status"}, k) {
			out = append(out, Violation{Kind: UnknownField, Path: []string{k}, Message: fmt.Sprintf("unknown field %q", k)})
		}
	}
	spec, _ := obj["spec"].(map[string]any)
	for _, k := range sortedKeys(spec) {
		if !slices.Contains(known, k) {
			out = append(out, Violation{Kind: UnknownField, Path: []string{"spec", k}, Message: fmt.Sprintf("unknown field %q", k)})
		}
	}
	nested := fluxNestedFields[apiVersion+"/"+kind]
	paths := make([]string, 0, len(nested))
	for p := range nested {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		segs := strings.Split(p, ".")
		var cur any = spec
		for _, seg := range segs {
			m, _ := cur.(map[string]any)
			cur = m[seg]
		}
		m, ok := cur.(map[string]any)
		if !ok {
			continue
		}
		for _, k := range sortedKeys(m) {
			if !slices.Contains(nested[p], k) {
				path := append(append([]string{"spec"}, segs...), k)
				out = append(out, Violation{Kind: UnknownField, Path: path, Message: fmt.Sprintf("unknown field %q", k)})
			}
		}
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// UnknownFluxSpecFields returns the keys, among those given, that are no
// spec field of a current Flux kind; nil for other kinds.
func UnknownFluxSpecFields(apiVersion, kind string, keys []string) []string {
	known, ok := fluxSpecFields[apiVersion+"/"+kind]
	if !ok {
		return nil
	}
	var out []string
	for _, k := range keys {
		if !slices.Contains(known, k) {
			out = append(out, k)
		}
	}
	return out
}

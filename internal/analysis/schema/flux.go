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
	switch {
	case group == "helm.toolkit.fluxcd.io" && kind == "HelmRelease":
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

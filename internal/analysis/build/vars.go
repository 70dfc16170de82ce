package build

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// varName is the rule kustomize-controller checks every variable name
// against before substituting.
var varName = regexp.MustCompile(`^[_[:alpha:]][_[:alpha:][:digit:]]*$`)

type vars struct {
	values map[string]string // nil: no substitution at all
	opaque bool              // some values are unknown: keep their references
}

// vars resolves spec.postBuild the way kustomize-controller does:
// substituteFrom in order (later sources win), then substitute; newlines
// are removed from every value; an optional source that does not exist is
// skipped. Substitution runs only when there is at least one variable,
// unless substituteStrategy is Always. Sources the repository does not
// define (created in the cluster by other means) or cannot show (SOPS) are
// unknown offline: their variables stay as written, with a warning.
func (b *Builder) vars(k Kustomization) (vars, []string, error) {
	p := k.pull
	pb := yamlfile.Get(p.K.Obj.Node(), "spec", "postBuild")
	if pb == nil {
		return vars{}, nil, nil
	}
	var warnings []string
	out := map[string]string{}
	opaque := false
	cl := b.cluster(k.Cluster)
	for _, it := range yamlfile.Items(yamlfile.Get(pb, "substituteFrom")) {
		kind, name := yamlfile.Str(it, "kind"), yamlfile.Str(it, "name")
		optional := yamlfile.Str(it, "optional") == "true"
		if kind != "ConfigMap" && kind != "Secret" {
			continue // the CRD allows only these two
		}
		data, found, known, why := sourceVars(cl, kind, name, k.Namespace)
		switch {
		case !found && optional:
			continue // Flux skips an optional source that does not exist
		case !found:
			opaque = true
			warnings = append(warnings, fmt.Sprintf("postBuild.substituteFrom %s %s is not defined in the repository for cluster %s: Flux reads it from the cluster (and fails when it is missing); its variables are left as written", kind, name, k.Cluster))
			continue
		case !known:
			opaque = true
			warnings = append(warnings, fmt.Sprintf("postBuild.substituteFrom %s %s %s: its variables are left as written", kind, name, why))
		}
		for key, v := range data {
			out[key] = strings.ReplaceAll(v, "\n", "")
		}
	}
	for key, v := range yamlfile.StringMap(yamlfile.Get(pb, "substitute")) {
		out[key] = strings.ReplaceAll(v, "\n", "")
	}
	var bad []string
	for key := range out {
		if !varName.MatchString(key) {
			bad = append(bad, key)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return vars{}, warnings, fmt.Errorf("post build failed: '%s' var name is invalid, must match '%s'", bad[0], varName)
	}
	if len(out) == 0 && !opaque && yamlfile.Str(pb, "substituteStrategy") != "Always" {
		// WithVariables, the default: nothing to substitute, so even
		// ${VAR:=default} stays as written.
		return vars{}, warnings, nil
	}
	return vars{values: out, opaque: opaque}, warnings, nil
}

func (b *Builder) cluster(name string) *model.Cluster {
	for _, c := range b.snap.Clusters {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// sourceVars finds a ConfigMap or Secret applied to the cluster in the
// Kustomization's namespace (where Flux looks) and returns its data.
// known is false, with why, when its values cannot be read offline.
func sourceVars(cl *model.Cluster, kind, name, ns string) (data map[string]string, found, known bool, why string) {
	if cl == nil {
		return nil, false, false, ""
	}
	for _, a := range cl.Applied {
		if a.Obj.Kind != kind || a.Obj.Name != name || (ns != "" && a.Namespace != "" && a.Namespace != ns) {
			continue
		}
		n := a.Obj.Node()
		if kind == "Secret" && isSOPS(n) {
			return nil, true, false, "is SOPS-encrypted (Flux decrypts it in the cluster)"
		}
		data = map[string]string{}
		known = true
		for key, val := range yamlfile.StringMap(yamlfile.Get(n, "data")) {
			if kind == "Secret" {
				dec, err := base64.StdEncoding.DecodeString(val)
				if err != nil {
					known, why = false, fmt.Sprintf("has data key %s that is not base64", key)
					continue
				}
				val = string(dec)
			}
			data[key] = val
		}
		// In the cluster, stringData is merged into data.
		for key, val := range yamlfile.StringMap(yamlfile.Get(n, "stringData")) {
			data[key] = val
		}
		return data, true, known, why
	}
	for _, g := range cl.Generated {
		if g.Gen.Kind != kind || g.Gen.Name != name || (ns != "" && g.Namespace != "" && g.Namespace != ns) {
			continue
		}
		data = map[string]string{}
		known = true
		for _, gk := range g.Gen.Keys {
			if gk.File != "" {
				known, why = false, "is generated from files"
				continue
			}
			if key, val, ok := strings.Cut(gk.Node.Value, "="); ok {
				data[strings.TrimSpace(key)] = val
			}
		}
		if len(yamlfile.Items(yamlfile.Get(g.Gen.Node, "envs"))) > 0 || yamlfile.Get(g.Gen.Node, "env") != nil {
			known, why = false, "is generated from env files"
		}
		return data, true, known, why
	}
	return nil, false, false, ""
}

// isSOPS reports whether a document carries SOPS metadata.
func isSOPS(n *yaml.Node) bool {
	s := yamlfile.Get(n, "sops")
	return s != nil && (yamlfile.Get(s, "mac") != nil || yamlfile.Get(s, "lastmodified") != nil)
}

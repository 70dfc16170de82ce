package schema

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// TestFluxFieldTablesMatchTheCRDs keeps the built-in field tables, used
// when a repository carries no Flux CRDs, equal to the real CRDs' fields:
// a field missing from a table would be a false unknown-field finding.
func TestFluxFieldTablesMatchTheCRDs(t *testing.T) {
	checked := 0
	for _, data := range fluxCRDs(t) {
		var crd struct {
			Spec struct {
				Group    string
				Names    struct{ Kind string }
				Versions []struct {
					Name   string
					Schema struct {
						OpenAPIV3Schema prop `yaml:"openAPIV3Schema"`
					}
				}
			}
		}
		if err := yaml.Unmarshal(data, &crd); err != nil {
			t.Fatal(err)
		}
		for _, v := range crd.Spec.Versions {
			key := crd.Spec.Group + "/" + v.Name + "/" + crd.Spec.Names.Kind
			top, ok := fluxSpecFields[key]
			if !ok {
				continue
			}
			spec := v.Schema.OpenAPIV3Schema.Properties["spec"]
			if got := keys(spec.Properties); !slices.Equal(got, sorted(top)) {
				t.Errorf("%s spec: table %v, CRD %v", key, sorted(top), got)
			}
			for path, fields := range fluxNestedFields[key] {
				p := spec
				for _, seg := range strings.Split(path, ".") {
					p = p.Properties[seg]
				}
				if got := keys(p.Properties); !slices.Equal(got, sorted(fields)) {
					t.Errorf("%s spec.%s: table %v, CRD %v", key, path, sorted(fields), got)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no nested table was compared")
	}
}

// TestNestedFluxFieldTypo: without CRDs, spec.test.enabled is reported.
func TestNestedFluxFieldTypo(t *testing.T) {
	hr := map[string]any{"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
		"metadata": map[string]any{"name": "x"},
		"spec": map[string]any{"interval": "5m", "chartRef": map[string]any{"kind": "OCIRepository", "name": "x"},
			"test": map[string]any{"enabled": true}, "upgrade": map[string]any{"remediation": map[string]any{"retries": 3}}}}
	vs := fluxFields(hr)
	if len(vs) != 1 || fmt.Sprint(vs[0].Path) != "[spec test enabled]" || vs[0].Kind != UnknownField {
		t.Errorf("got %+v", vs)
	}
}

type prop struct {
	Properties map[string]prop
}

func keys(m map[string]prop) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

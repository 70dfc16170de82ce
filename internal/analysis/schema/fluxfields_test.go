package schema

import (
	"maps"
	"slices"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// TestEmbeddedFluxSchemasMatchTheCRDs keeps the embedded schemas in step
// with the Flux CRDs of the shared data (another snapshot of the same
// release line): a field missing from the embedded schema would be a false
// unknown-field finding in every repository without CRDs.
func TestEmbeddedFluxSchemasMatchTheCRDs(t *testing.T) {
	embedded, err := fluxSchemas()
	if err != nil {
		t.Fatal(err)
	}
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
			k := gvk{crd.Spec.Group, v.Name, crd.Spec.Names.Kind}
			e, ok := embedded[k]
			if !ok {
				t.Errorf("%v: not embedded", k)
				continue
			}
			var walk func(path string, want prop, got map[string]any)
			walk = func(path string, want prop, got map[string]any) {
				props, _ := got["properties"].(map[string]any)
				if w, g := keys(want.Properties), slices.Sorted(maps.Keys(props)); !slices.Equal(w, g) {
					t.Errorf("%v %s: CRD fields %v, embedded %v", k, path, w, g)
					return
				}
				checked++
				for name, p := range want.Properties {
					if sub, ok := props[name].(map[string]any); ok && path+"."+name != ".status" {
						walk(path+"."+name, p, sub)
					}
				}
			}
			walk("", v.Schema.OpenAPIV3Schema, e)
		}
	}
	if checked < 50 {
		t.Fatalf("only %d objects compared", checked)
	}
}

// TestFluxKindsEmbedded: every Flux kind of the release has a schema.
func TestFluxKindsEmbedded(t *testing.T) {
	embedded, err := fluxSchemas()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []gvk{
		{"kustomize.toolkit.fluxcd.io", "v1", "Kustomization"},
		{"helm.toolkit.fluxcd.io", "v2", "HelmRelease"},
		{"source.toolkit.fluxcd.io", "v1", "GitRepository"},
		{"source.toolkit.fluxcd.io", "v1", "OCIRepository"},
		{"source.toolkit.fluxcd.io", "v1", "HelmRepository"},
		{"source.toolkit.fluxcd.io", "v1", "HelmChart"},
		{"source.toolkit.fluxcd.io", "v1", "Bucket"},
		{"notification.toolkit.fluxcd.io", "v1beta3", "Alert"},
		{"notification.toolkit.fluxcd.io", "v1beta3", "Provider"},
		{"notification.toolkit.fluxcd.io", "v1", "Receiver"},
		{"image.toolkit.fluxcd.io", "v1", "ImageRepository"},
		{"image.toolkit.fluxcd.io", "v1", "ImagePolicy"},
		{"image.toolkit.fluxcd.io", "v1", "ImageUpdateAutomation"},
	} {
		if _, ok := embedded[k]; !ok {
			t.Errorf("%v not embedded", k)
		}
	}
	if got := UnknownFluxSpecFields("kustomize.toolkit.fluxcd.io/v1", "Kustomization", []string{"path", "pth", "prune"}); !slices.Equal(got, []string{"pth"}) {
		t.Errorf("UnknownFluxSpecFields = %v", got)
	}
}

type prop struct {
	Properties map[string]prop
}

func keys(m map[string]prop) []string {
	return slices.Sorted(maps.Keys(m))
}

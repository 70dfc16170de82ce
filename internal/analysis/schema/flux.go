package schema

import (
	"maps"
	"slices"
	"strings"
	"sync"
)

// covered reports whether the schema already flagged the same field.
func covered(vs []Violation, v Violation) bool {
	for _, x := range vs {
		if slices.Equal(x.Path, v.Path) {
			return true
		}
	}
	return false
}

// fluxSpecFields maps "apiVersion/kind" of the embedded Flux kinds to their
// spec field names. The embedded schemas are constant, so they are decoded
// once per process, on first use.
var fluxSpecFields = sync.OnceValue(func() map[string][]string {
	out := map[string][]string{}
	schemas, err := fluxSchemas()
	if err != nil {
		return out // the validator reports the broken embedding
	}
	for k, s := range schemas {
		props, _ := s["properties"].(map[string]any)
		spec, _ := props["spec"].(map[string]any)
		fields, _ := spec["properties"].(map[string]any)
		apiVersion := k.group + "/" + k.version
		out[apiVersion+"/"+k.kind] = slices.Sorted(maps.Keys(fields))
	}
	return out
})

// UnknownFluxSpecFields returns the keys, among those given, that are no
// spec field of a current Flux kind; nil for other kinds.
func UnknownFluxSpecFields(apiVersion, kind string, keys []string) []string {
	if !strings.Contains(apiVersion, ".fluxcd.io/") {
		return nil
	}
	known, ok := fluxSpecFields()[apiVersion+"/"+kind]
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

package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"sigs.k8s.io/kustomize/kyaml/openapi"
)

// gvk names one schema file.
type gvk struct{ group, version, kind string }

// strictify rewrites an OpenAPI v3 (CRD) or v2 (Kubernetes) schema node
// into a draft-4 JSON schema the way kubeconform's openapi2jsonschema does:
// objects with properties refuse unknown fields, int-or-string becomes a
// type union, preserve-unknown-fields stays open, nullable admits null.
func strictify(v any, allowNull bool) any {
	switch t := v.(type) {
	case []any:
		for i := range t {
			t[i] = strictify(t[i], allowNull)
		}
		return t
	case map[string]any:
	default:
		return v
	}
	m := v.(map[string]any)
	for k, x := range m {
		switch k {
		case "properties", "patternProperties", "definitions":
			// maps of name -> schema
			if props, ok := x.(map[string]any); ok {
				for name, s := range props {
					props[name] = strictify(s, allowNull)
				}
			}
		case "enum", "default", "example", "x-kubernetes-validations", "required":
			// data, not schemas
		default:
			m[k] = strictify(x, allowNull)
		}
	}
	if m["x-kubernetes-int-or-string"] == true || m["format"] == "int-or-string" {
		delete(m, "format")
		m["type"] = []any{"string", "integer"}
	}
	if _, hasProps := m["properties"]; hasProps && m["x-kubernetes-preserve-unknown-fields"] != true {
		if _, set := m["additionalProperties"]; !set {
			m["additionalProperties"] = false
		}
	}
	if allowNull || m["nullable"] == true {
		if typ, ok := m["type"].(string); ok {
			m["type"] = []any{typ, "null"}
		} else if typs, ok := m["type"].([]any); ok {
			m["type"] = append(typs, "null")
		}
	}
	return m
}

// defSet holds the built-in Kubernetes definitions of the OpenAPI
// document kyaml embeds, each converted (strictified, with the fields of
// newer Kubernetes versions) on first use: a run needs a handful of them.
type defSet struct {
	src  map[string]spec.Schema
	mu   sync.Mutex
	done map[string]any
}

func (d *defSet) has(name string) bool { _, ok := d.src[name]; return ok }

// get returns the named definition, nil when there is none.
func (d *defSet) get(name string) any {
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, ok := d.done[name]; ok {
		return v
	}
	var def any
	if s, ok := d.src[name]; ok {
		def = d.convert(name, s)
	}
	d.done[name] = def
	return def
}

func (d *defSet) convert(name string, s spec.Schema) any {
	if name == "io.k8s.apimachinery.pkg.api.resource.Quantity" {
		// Quantities are written as numbers as often as strings.
		return map[string]any{"type": []any{"string", "number", "null"}}
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return nil
	}
	var def map[string]any
	if err := json.Unmarshal(raw, &def); err != nil || def == nil {
		return nil
	}
	out := strictify(def, true)
	addNewerFields(name, out)
	return out
}

// builtinSchemas indexes the built-in Kubernetes definitions of the
// OpenAPI document kyaml embeds, offline, and the definition name of
// every group/version/kind.
func builtinSchemas() (defs *defSet, kinds map[gvk]string, err error) {
	src := openapi.Schema().Definitions
	if src == nil {
		return nil, nil, fmt.Errorf("built-in Kubernetes OpenAPI: no definitions")
	}
	kinds = map[gvk]string{}
	for name, s := range src {
		ext, ok := s.Extensions["x-kubernetes-group-version-kind"]
		if !ok {
			continue
		}
		raw, err := json.Marshal(ext)
		if err != nil {
			continue
		}
		var gvks []any
		_ = json.Unmarshal(raw, &gvks)
		for _, g := range gvks {
			gm, _ := g.(map[string]any)
			k := gvk{str(gm["group"]), str(gm["version"]), str(gm["kind"])}
			if k.kind != "" && k.version != "" {
				kinds[k] = name
			}
		}
	}
	defs = &defSet{src: src, done: map[string]any{}}
	addNewerKinds(defs, kinds)
	return defs, kinds, nil
}

// standalone inlines every "#/definitions/..." reference of the named
// definition, as kubeconform's standalone schemas do: its validator reports
// only the first level of errors, which would stop at a $ref. A reference
// cycle (only JSONSchemaProps has one) is cut with an open schema.
func standalone(defs *defSet, name string) any {
	// names is set for a map of property names to schemas, whose keys are
	// fields (a field may be called "description"), not keywords.
	var inline func(v any, stack []string, names bool) any
	inline = func(v any, stack []string, names bool) any {
		switch t := v.(type) {
		case []any:
			out := make([]any, len(t))
			for i, x := range t {
				out[i] = inline(x, stack, false)
			}
			return out
		case map[string]any:
			if names {
				out := make(map[string]any, len(t))
				for k, x := range t {
					out[k] = inline(x, stack, false)
				}
				return out
			}
			if ref, ok := t["$ref"].(string); ok {
				target, found := strings.CutPrefix(ref, "#/definitions/")
				if !found || slices.Contains(stack, target) {
					return map[string]any{}
				}
				return inline(defs.get(target), append(stack, target), false)
			}
			out := make(map[string]any, len(t))
			for k, x := range t {
				if k == "description" || k == "x-kubernetes-group-version-kind" {
					continue // size, not meaning
				}
				out[k] = inline(x, stack, k == "properties" || k == "patternProperties")
			}
			return out
		}
		return v
	}
	return inline(defs.get(name), []string{name}, false)
}

func str(v any) string { s, _ := v.(string); return s }

// crdSchemas extracts one (not yet strictified) schema per version from CRD
// documents. Documents that are not CRDs are ignored; a CRD that does not
// parse is an error naming its position in the input.
func crdSchemas(docs [][]byte) (map[gvk]map[string]any, error) {
	out := map[gvk]map[string]any{}
	for i, data := range docs {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for n := 0; ; n++ {
			var crd map[string]any
			err := dec.Decode(&crd)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("CRD input %d, document %d: %w", i, n+1, err)
			}
			if crd["kind"] != "CustomResourceDefinition" {
				continue
			}
			spec, _ := crd["spec"].(map[string]any)
			names, _ := spec["names"].(map[string]any)
			group, kind := str(spec["group"]), str(names["kind"])
			versions, _ := spec["versions"].([]any)
			for _, v := range versions {
				vm, _ := v.(map[string]any)
				sch, _ := vm["schema"].(map[string]any)
				s, ok := sch["openAPIV3Schema"].(map[string]any)
				if !ok || kind == "" {
					continue
				}
				s, ok = jsonRoundTrip(s).(map[string]any)
				if !ok {
					continue
				}
				out[gvk{group, str(vm["name"]), kind}] = s
			}
		}
	}
	return out, nil
}

// jsonRoundTrip normalises YAML-decoded values (e.g. int keys) into the
// shapes encoding/json produces.
func jsonRoundTrip(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil
	}
	return out
}

package schema

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// The schemas of the Flux CRDs of the current Flux release (v2.9.4), so that
// Flux objects are fully validated (types, enums, patterns, required
// fields, CEL rules) in repositories that do not commit gotk-components.yaml.
// They are derived from the controllers' CRDs (Apache-2.0, The Flux
// authors) by gencrds; the controllers and tags are listed in the file. A
// repository's own CRDs win over them.
//
// To move to a newer Flux release, take the controller tags from
// manifests/bases/*/kustomization.yaml of fluxcd/flux2 at the release tag
// and update the line below.
//
//go:generate go run ./gencrds -o fluxcrds.json helm-controller@v1.6.3 source-controller@v1.9.1 kustomize-controller@v1.9.4 notification-controller@v1.9.3 image-reflector-controller@v1.2.0 image-automation-controller@v1.2.1 source-watcher@v2.2.1
//go:embed fluxcrds.json
var fluxCRDsJSON []byte

// embeddedCRDs are the Flux CRD schemas as gencrds wrote them.
type embeddedCRDs struct {
	Release []string `json:"release"`
	CRDs    []struct {
		Group    string `json:"group"`
		Kind     string `json:"kind"`
		Versions []struct {
			Name   string         `json:"name"`
			Schema map[string]any `json:"schema"`
		} `json:"versions"`
	} `json:"crds"`
}

// fluxSchemas decodes the embedded schemas (not strictified).
func fluxSchemas() (map[gvk]map[string]any, error) {
	var e embeddedCRDs
	if err := json.Unmarshal(fluxCRDsJSON, &e); err != nil {
		return nil, fmt.Errorf("embedded Flux CRD schemas: %w", err)
	}
	out := map[gvk]map[string]any{}
	for _, c := range e.CRDs {
		for _, v := range c.Versions {
			openEnums(c.Kind, v.Schema)
			out[gvk{c.Group, v.Name, c.Kind}] = v.Schema
		}
	}
	return out, nil
}

// extendedEnums are the enums that clusters routinely widen by patching
// the CRDs: the Flux Operator adds FluxInstance and ResourceSet to the
// event source kinds of Alerts and Receivers, and Flux documents the same
// patch for third-party controllers (tofu-controller's Terraform). Holding
// a repository to the stock list would block good commits, so these enums
// are not checked; a repository that commits its CRDs is still held to them.
var extendedEnums = map[string][]string{
	"Alert":    {"properties", "spec", "properties", "eventSources", "items", "properties", "kind"},
	"Receiver": {"properties", "spec", "properties", "resources", "items", "properties", "kind"},
}

// openEnums drops the extended enums of kind's schema.
func openEnums(kind string, s map[string]any) {
	p, ok := extendedEnums[kind]
	if !ok {
		return
	}
	n := s
	for _, k := range p {
		next, ok := n[k].(map[string]any)
		if !ok {
			return
		}
		n = next
	}
	delete(n, "enum")
}

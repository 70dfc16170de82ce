package build

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	k8syaml "sigs.k8s.io/yaml"
)

// ObjectYAML is one object as `flux build kustomization` prints it: keys
// sorted, two-space indentation (the Kubernetes YAML encoder Flux uses).
func ObjectYAML(doc map[string]any) ([]byte, error) {
	return k8syaml.Marshal(doc)
}

// WriteYAML writes the objects as a multi-document stream, each document
// followed by "---" as Flux writes them, masked with Mask.
func WriteYAML(w io.Writer, objs []Object, showSecrets bool) error {
	var buf bytes.Buffer
	for _, o := range objs {
		b, err := ObjectYAML(Mask(o, showSecrets).Doc)
		if err != nil {
			return fmt.Errorf("%s %s (from %s): %w", o.Kind, o.Name, o.File, err)
		}
		buf.Write(b)
		buf.WriteString("---\n")
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// JSONObject is an object with where it comes from, for --format json and
// for editors.
type JSONObject struct {
	Cluster       string         `json:"cluster"`
	Kustomization string         `json:"kustomization"`
	Source        string         `json:"source,omitempty"`
	File          string         `json:"file,omitempty"`
	Generated     bool           `json:"generated,omitempty"`
	Object        map[string]any `json:"object"`
}

// JSON lists the objects of a result, masked with Mask.
func (r *Result) JSON(showSecrets bool) []JSONObject {
	out := make([]JSONObject, 0, len(r.Objects))
	for _, o := range r.Objects {
		out = append(out, JSONObject{Cluster: r.Kustomization.Cluster, Kustomization: r.Kustomization.ID(),
			Source: o.Source, File: o.File, Generated: o.Generated, Object: Mask(o, showSecrets).Doc})
	}
	return out
}

// WriteJSON writes the objects as an indented JSON list.
func WriteJSON(w io.Writer, r *Result, showSecrets bool) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r.JSON(showSecrets))
}

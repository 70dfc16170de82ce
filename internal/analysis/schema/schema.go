// Package schema validates rendered Kubernetes objects offline with
// kubeconform: built-in kinds from the OpenAPI document kyaml embeds, Flux
// kinds from the embedded schemas of the current Flux release, custom
// resources from the CRDs found in the repository (which win), in strict
// mode so that unknown fields are errors. The CEL rules of the CRDs
// (x-kubernetes-validations), which a JSON schema cannot express, are
// evaluated too where they use the part of CEL this package understands.
package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/yannh/kubeconform/pkg/resource"
	"github.com/yannh/kubeconform/pkg/validator"
)

// Violation kinds.
const (
	Invalid      = "invalid"
	UnknownField = "unknown-field"
)

// Violation is one schema finding. Path holds JSON pointer segments into
// the object; for an unknown field it points at the field itself.
type Violation struct {
	Kind    string
	Path    []string
	Message string
}

// Options configure a Validator.
type Options struct {
	// SchemaLocations are extra kubeconform schema locations (its template
	// syntax). They are consulted before the built-in schemas (Kubernetes
	// v1.21.2, as embedded in kyaml) so that a newer local schema set wins.
	SchemaLocations []string
	// AllowNetwork permits http(s) schema locations. Off by default: the
	// analysis never downloads.
	AllowNetwork bool
	// Catalogs are asked, in order, for the schema of a kind that neither
	// the built-in schemas nor the CRDs know (.gitops.yaml schemas:).
	Catalogs []Catalog
}

// Validator validates objects. Build it once and reuse it: schemas are
// compiled on first use per kind and kept. Close removes its schema files.
type Validator struct {
	dir string
	kc  validator.Validator

	mu      sync.Mutex     // guards written
	defs    map[string]any // built-in definitions, strictified
	kinds   map[gvk]string // built-in kind -> definition name
	written map[gvk]bool   // schema files on disk
	looked  map[gvk]bool   // catalogs asked
	cel     map[gvk][]celRule
	cats    []Catalog
}

// New writes the built-in and CRD schemas to a private temporary directory
// (kubeconform reads schemas only through location templates) and builds a
// strict kubeconform validator over it.
func New(crds [][]byte, opts Options) (*Validator, error) {
	for _, loc := range opts.SchemaLocations {
		if !opts.AllowNetwork && (strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://") || loc == "default") {
			return nil, fmt.Errorf("schema location %s: downloading schemas is disabled (offline)", loc)
		}
	}
	dir, err := os.MkdirTemp("", "gitops-hook-schemas-")
	if err != nil {
		return nil, fmt.Errorf("schema directory: %w", err)
	}
	v := &Validator{dir: dir, cats: opts.Catalogs, looked: map[gvk]bool{}}
	if err := v.writeSchemas(crds); err != nil {
		v.Close()
		return nil, err
	}
	locs := append(slices.Clone(opts.SchemaLocations), filepath.ToSlash(dir)+"/{{ .Group }}/{{ .ResourceAPIVersion }}/{{ .ResourceKind }}.json")
	v.kc, err = validator.New(locs, validator.Opts{Strict: true, IgnoreMissingSchemas: true})
	if err != nil {
		v.Close()
		return nil, fmt.Errorf("kubeconform: %w", err)
	}
	return v, nil
}

// Close removes the schema files.
func (v *Validator) Close() error {
	if v.dir == "" {
		return nil
	}
	return os.RemoveAll(v.dir)
}

// writeSchemas writes the CRD schemas now (they are small) and keeps the
// built-in definitions in memory: a standalone built-in schema is large, so
// it is written on first use of its kind.
func (v *Validator) writeSchemas(crds [][]byte) error {
	var err error
	if v.defs, v.kinds, err = builtinSchemas(); err != nil {
		return err
	}
	custom, err := fluxSchemas()
	if err != nil {
		return err
	}
	repo, err := crdSchemas(crds)
	if err != nil {
		return err
	}
	maps.Copy(custom, repo) // a repository's CRD wins over the embedded Flux one
	v.written = map[gvk]bool{}
	v.cel = map[gvk][]celRule{}
	for k, s := range custom { // and over a built-in
		if rules := celRules(s); len(rules) > 0 {
			v.cel[k] = rules
		}
		if err := writeJSON(v.schemaFile(k), strictify(s, false)); err != nil {
			return err
		}
		v.written[k] = true
	}
	return nil
}

// ensureSchema writes the standalone schema of a built-in kind, or the
// schema a catalog has for an unknown kind, before kubeconform first looks
// for it.
func (v *Validator) ensureSchema(apiVersion, kind string) error {
	group, version, found := strings.Cut(apiVersion, "/")
	if !found {
		group, version = "", apiVersion
	}
	k := gvk{group, version, kind}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.written[k] {
		return nil
	}
	if name, ok := v.kinds[k]; ok {
		v.written[k] = true
		return writeJSON(v.schemaFile(k), standalone(v.defs, name))
	}
	if v.looked[k] || kind == "" || version == "" || !safeSegment(group) || !safeSegment(version) || !safeSegment(kind) {
		return nil // the names come from the repository: they make file names and URLs
	}
	v.looked[k] = true
	for _, c := range v.cats {
		b, err := c.Lookup(group, version, kind)
		if err != nil || b == nil {
			continue // another catalog may have it; else the kind is missing
		}
		file := v.schemaFile(k)
		if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(file, b, 0o600); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		v.written[k] = true
		return nil
	}
	return nil
}

// schemaFile mirrors the location template: kubeconform's Group is the
// part of apiVersion before "/" (the version itself for the core group).
func (v *Validator) schemaFile(k gvk) string {
	group := k.group
	if group == "" {
		group = k.version
	}
	return filepath.Join(v.dir, group, k.version, strings.ToLower(k.kind)+".json")
}

// safeSegment reports whether a name can be one path segment.
func safeSegment(s string) bool {
	return s == "" || (!strings.ContainsAny(s, "/\\:{}") && !strings.HasPrefix(s, ".") && len(s) < 254)
}

func writeJSON(file string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

// Validate checks one object. missing is true when no schema is known for
// its apiVersion/kind (the Flux rules still run). err reports a failure to
// validate at all, not a finding.
func (v *Validator) Validate(obj map[string]any) (violations []Violation, missing bool, err error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, false, fmt.Errorf("encoding object: %w", err)
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	if err := v.ensureSchema(apiVersion, kind); err != nil {
		return nil, false, err
	}
	res := v.kc.ValidateResource(resource.Resource{Bytes: b})
	switch res.Status {
	case validator.Valid, validator.Empty:
	case validator.Skipped:
		missing = true
	case validator.Invalid:
		for _, ve := range res.ValidationErrors {
			violations = append(violations, convert(ve)...)
		}
		if len(res.ValidationErrors) == 0 && res.Err != nil {
			violations = append(violations, Violation{Kind: Invalid, Message: res.Err.Error()})
		}
	case validator.Error:
		if res.Err == nil {
			res.Err = errors.New("unknown validation error")
		}
		return nil, false, res.Err
	}
	if !missing {
		group, version, found := strings.Cut(apiVersion, "/")
		if !found {
			group, version = "", apiVersion
		}
		for _, r := range v.cel[gvk{group, version, kind}] {
			for _, cv := range r.check(obj) {
				if !covered(violations, cv) {
					violations = append(violations, cv)
				}
			}
		}
	}
	return violations, missing, nil
}

// convert turns one kubeconform error into violations. An "additional
// properties 'a', 'b' not allowed" error becomes one unknown-field per name,
// each pointing at the field itself.
func convert(ve validator.ValidationError) []Violation {
	path := splitPointer(ve.Path)
	const prefix = "additional properties "
	if rest, ok := strings.CutPrefix(ve.Msg, prefix); ok && strings.HasSuffix(rest, " not allowed") {
		rest = strings.TrimSuffix(rest, " not allowed")
		var out []Violation
		for _, name := range strings.Split(rest, ", ") {
			name = strings.Trim(name, "'")
			p := append(append([]string(nil), path...), name)
			out = append(out, Violation{Kind: UnknownField, Path: p, Message: fmt.Sprintf("unknown field %q", name)})
		}
		return out
	}
	msg := ve.Msg
	if rest, ok := strings.CutPrefix(msg, "missing propert"); ok {
		_, names, _ := strings.Cut(rest, " ")
		msg = "required field " + strings.ReplaceAll(names, "'", "") + " is missing"
		if strings.Contains(names, ",") {
			msg = "required fields " + strings.ReplaceAll(names, "'", "") + " are missing"
		}
	}
	return []Violation{{Kind: Invalid, Path: path, Message: msg}}
}

// splitPointer splits a JSON pointer into unescaped segments.
func splitPointer(p string) []string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return []string{}
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return segs
}

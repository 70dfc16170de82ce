package schema

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/template"
)

// CatalogLayout is the layout of the CRDs-catalog schema collections
// (github.com/datreeio/CRDs-catalog), which kubeconform users point
// -schema-location at: one JSON schema per group, kind (lower case) and
// version.
const CatalogLayout = "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"

// Catalog finds the JSON schema of a kind that neither the built-in
// schemas nor the CRDs know. Lookup returns nil, nil when it has none.
type Catalog interface {
	Lookup(group, version, kind string) ([]byte, error)
	String() string
}

// templateVars are the fields a catalog template may use, named as in
// kubeconform's schema locations.
type templateVars struct {
	Group, ResourceKind, ResourceAPIVersion, Kind string
	KindSuffix, StrictSuffix                      string
	NormalizedKubernetesVersion                   string
}

func expand(tmpl, group, version, kind string) (string, error) {
	t, err := template.New("schema").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("schema template %q: %w", tmpl, err)
	}
	var b bytes.Buffer
	vars := templateVars{Group: group, ResourceKind: strings.ToLower(kind), ResourceAPIVersion: version, Kind: kind,
		StrictSuffix: "-strict", NormalizedKubernetesVersion: "master"}
	if group != "" {
		vars.KindSuffix = "-" + strings.Split(group, ".")[0] + "-" + version
	} else {
		vars.KindSuffix = "-" + version
	}
	if err := t.Execute(&b, vars); err != nil {
		return "", fmt.Errorf("schema template %q: %w", tmpl, err)
	}
	return b.String(), nil
}

// FolderCatalog reads schemas from a folder of a file system (the
// repository view, so that the hook reads the staged catalog) laid out as
// Template says (CatalogLayout when empty).
type FolderCatalog struct {
	FS       fs.FS
	Dir      string // slash-separated, relative to FS
	Template string
}

func (c FolderCatalog) String() string { return c.Dir }

// Lookup reads the kind's schema file; a missing file is no schema.
func (c FolderCatalog) Lookup(group, version, kind string) ([]byte, error) {
	tmpl := c.Template
	if tmpl == "" {
		tmpl = CatalogLayout
	}
	rel, err := expand(tmpl, group, version, kind)
	if err != nil {
		return nil, err
	}
	p := path.Join(c.Dir, rel)
	if !fs.ValidPath(p) {
		return nil, nil
	}
	b, err := fs.ReadFile(c.FS, p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return b, nil
}

// URLCatalog finds schemas at the URL a template gives (a CRDs-catalog
// layout on a web server, or file://). A schema is read from the cache
// first; Fetch, nil when offline, downloads it into the cache otherwise.
type URLCatalog struct {
	Template string
	CacheDir string // "" disables the cache
	// Fetch returns the document at url; a nil document with a nil error
	// means there is none (HTTP 404).
	Fetch func(url string) ([]byte, error)
}

func (c URLCatalog) String() string { return c.Template }

// Lookup returns the cached schema, else fetches and caches it.
func (c URLCatalog) Lookup(group, version, kind string) ([]byte, error) {
	url, err := expand(c.Template, group, version, kind)
	if err != nil {
		return nil, err
	}
	var cached string
	if c.CacheDir != "" {
		sum := sha256.Sum256([]byte(url))
		cached = filepath.Join(c.CacheDir, "schemas", hex.EncodeToString(sum[:12])+".json")
		if b, err := os.ReadFile(cached); err == nil && json.Valid(b) {
			return b, nil
		}
	}
	if c.Fetch == nil {
		return nil, nil // offline, not cached
	}
	b, err := c.Fetch(url)
	if err != nil || b == nil {
		return nil, err
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("%s: not a JSON schema", url)
	}
	if cached != "" {
		// A failure to cache costs a download next time, nothing more.
		if os.MkdirAll(filepath.Dir(cached), 0o700) == nil {
			if f, err := os.CreateTemp(filepath.Dir(cached), "*.tmp"); err == nil {
				_, werr := f.Write(b)
				if cerr := f.Close(); werr == nil && cerr == nil {
					_ = os.Rename(f.Name(), cached)
				}
				_ = os.Remove(f.Name())
			}
		}
	}
	return b, nil
}

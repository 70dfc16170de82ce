package schema

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

const poolSchema = `{"type":"object","properties":{"apiVersion":{"type":"string"},"kind":{"type":"string"},"metadata":{"type":"object"},
"spec":{"type":"object","additionalProperties":false,"properties":{"addresses":{"type":"array","items":{"type":"string"}},"autoAssign":{"type":"boolean"}}}}}`

func pool(spec map[string]any) map[string]any {
	return map[string]any{"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
		"metadata": map[string]any{"name": "p", "namespace": "metallb-system"}, "spec": spec}
}

func catalogValidator(t *testing.T, cats ...Catalog) *Validator {
	t.Helper()
	v, err := New(nil, Options{Catalogs: cats})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func TestFolderCatalog(t *testing.T) {
	fsys := fstest.MapFS{"catalog/metallb.io/ipaddresspool_v1beta1.json": {Data: []byte(poolSchema)}}
	v := catalogValidator(t, FolderCatalog{FS: fsys, Dir: "catalog"})
	check(t, v, pool(map[string]any{"addresses": []any{"10.0.0.1-10.0.0.9"}}), false)
	check(t, v, pool(map[string]any{"addresses": []any{"10.0.0.1-10.0.0.9"}, "autoAssign": "yes"}), false,
		want{Invalid, "/spec/autoAssign"})
	check(t, v, pool(map[string]any{"adresses": []any{}}), false, want{UnknownField, "/spec/adresses"})
	// A kind the catalog lacks stays missing; a hostile kind name reads nothing.
	check(t, v, map[string]any{"apiVersion": "metallb.io/v1beta1", "kind": "L2Advertisement", "metadata": map[string]any{"name": "l"}}, true)
	check(t, v, map[string]any{"apiVersion": "../../etc/v1", "kind": "Passwd", "metadata": map[string]any{"name": "l"}}, true)

	// A path template.
	fsys = fstest.MapFS{"s/metallb.io-v1beta1/IPAddressPool.json": {Data: []byte(poolSchema)}}
	v = catalogValidator(t, FolderCatalog{FS: fsys, Dir: "s", Template: "{{.Group}}-{{.ResourceAPIVersion}}/{{.Kind}}.json"})
	check(t, v, pool(map[string]any{"autoAssign": 1}), false, want{Invalid, "/spec/autoAssign"})
}

// TestURLCatalogCache: a URL template is fetched once into the cache; an
// offline run (no Fetch) reads the cache and never the network; without
// cache, offline, the kind is missing.
func TestURLCatalogCache(t *testing.T) {
	cache := t.TempDir()
	const tmpl = "https://schemas.example.com/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"
	var fetched []string
	fetch := func(u string) ([]byte, error) {
		fetched = append(fetched, u)
		if u == "https://schemas.example.com/metallb.io/ipaddresspool_v1beta1.json" {
			return []byte(poolSchema), nil
		}
		return nil, nil // 404
	}
	v := catalogValidator(t, URLCatalog{Template: tmpl, CacheDir: cache, Fetch: fetch})
	check(t, v, pool(map[string]any{"autoAssign": "yes"}), false, want{Invalid, "/spec/autoAssign"})
	check(t, v, pool(map[string]any{"autoAssign": "no"}), false, want{Invalid, "/spec/autoAssign"})
	check(t, v, map[string]any{"apiVersion": "metallb.io/v1beta1", "kind": "BGPPeer", "metadata": map[string]any{"name": "b"}}, true)
	if len(fetched) != 2 {
		t.Errorf("fetched %q, want each kind once", fetched)
	}

	offline := catalogValidator(t, URLCatalog{Template: tmpl, CacheDir: cache})
	check(t, offline, pool(map[string]any{"autoAssign": "yes"}), false, want{Invalid, "/spec/autoAssign"})
	if len(fetched) != 2 {
		t.Errorf("offline run fetched %q", fetched[2:])
	}
	cold := catalogValidator(t, URLCatalog{Template: tmpl, CacheDir: t.TempDir()})
	check(t, cold, pool(map[string]any{"autoAssign": "yes"}), true)
}

// TestURLCatalogFile: a file:// template reads local files.
func TestURLCatalogFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "metallb.io"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "metallb.io", "ipaddresspool_v1beta1.json"), []byte(poolSchema), 0o600); err != nil {
		t.Fatal(err)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(dir) + "/"}
	read := func(raw string) ([]byte, error) {
		p, err := url.Parse(raw)
		if err != nil {
			return nil, err
		}
		b, err := os.ReadFile(filepath.FromSlash(p.Path))
		if os.IsNotExist(err) {
			return nil, nil
		}
		return b, err
	}
	v := catalogValidator(t, URLCatalog{Template: u.String() + CatalogLayout, Fetch: read})
	check(t, v, pool(map[string]any{"autoAssign": "yes"}), false, want{Invalid, "/spec/autoAssign"})
}

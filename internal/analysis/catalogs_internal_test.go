package analysis

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/schema"
)

// TestFetchSchema: file:// is read, a missing file is no schema, and an
// offline run never opens a connection (the address refuses one, which
// would be an error).
func TestFetchSchema(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "s.json")
	if err := os.WriteFile(f, []byte(`{"type":"object"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	fetch := fetchSchema(true)
	if b, err := fetch("file://" + filepath.ToSlash(f)); err != nil || string(b) != `{"type":"object"}` {
		t.Errorf("file: %q, %v", b, err)
	}
	if b, err := fetch("file://" + filepath.ToSlash(filepath.Join(dir, "none.json"))); err != nil || b != nil {
		t.Errorf("missing file: %q, %v", b, err)
	}
	if b, err := fetch("http://127.0.0.1:1/x.json"); err != nil || b != nil {
		t.Errorf("offline http: %q, %v", b, err)
	}
	if _, err := fetchSchema(false)("http://127.0.0.1:1/x.json"); err == nil {
		t.Error("online fetch of a refused address did not fail: it was not attempted")
	}
}

// TestCatalogsFromConfig: folders are read through the repository view,
// URL templates through the cache of the sources, offline honoured.
func TestCatalogsFromConfig(t *testing.T) {
	cfg, err := config.Parse([]byte("schemas:\n  - ./schemas\n  - schemas/{{.Group}}/{{.Kind}}.json\n  - https://example.com/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json\n"))
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"schemas/metallb.io/ipaddresspool_v1beta1.json": {Data: []byte(`{}`)}, "schemas/metallb.io/IPAddressPool.json": {Data: []byte(`{"a":1}`)}}
	cats := catalogs(Options{FS: fsys, Sources: &gitsrc.Resolver{Offline: true, CacheDir: "/nonexistent"}}, cfg)
	if len(cats) != 3 {
		t.Fatalf("%d catalogs", len(cats))
	}
	if b, _ := cats[0].Lookup("metallb.io", "v1beta1", "IPAddressPool"); string(b) != `{}` {
		t.Errorf("folder: %q", b)
	}
	if b, _ := cats[1].Lookup("metallb.io", "v1beta1", "IPAddressPool"); string(b) != `{"a":1}` {
		t.Errorf("path template: %q", b)
	}
	u, ok := cats[2].(schema.URLCatalog)
	if !ok || u.CacheDir != "/nonexistent" {
		t.Fatalf("URL catalog: %#v", cats[2])
	}
	if b, err := u.Lookup("metallb.io", "v1beta1", "IPAddressPool"); b != nil || err != nil {
		t.Errorf("offline, not cached: %q, %v", b, err)
	}
}

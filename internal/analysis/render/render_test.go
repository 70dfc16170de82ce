package render

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

const cm = `apiVersion: v1
kind: ConfigMap
metadata:
  name: %s
data:
  key: value
`

func configMap(name string) *fstest.MapFile {
	return file(strings.Replace(cm, "%s", name, 1))
}

// fixture is a small hand-written repository exercising Flux semantics.
func fixture() fstest.MapFS {
	return fstest.MapFS{
		"apps/plain/kustomization.yaml":  file("resources:\n- a.yaml\n- ../shared\n"),
		"apps/plain/a.yaml":              configMap("a"),
		"apps/shared/kustomization.yaml": file("resources:\n- sa.yaml\n"),
		"apps/shared/sa.yaml":            file("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n"),
		"apps/gen/kustomization.yaml":    file("resources:\n- a.yaml\nconfigMapGenerator:\n- name: gen\n  literals: [k=v]\n  options:\n    disableNameSuffixHash: true\n"),
		"apps/gen/a.yaml":                configMap("a"),

		// No kustomization: Flux generates one from every YAML file, and
		// adds sub-directories that have a kustomization as a whole.
		"apps/bare/one.yaml":                  configMap("one"),
		"apps/bare/sub/two.yml":               configMap("two"),
		"apps/bare/notes.txt":                 file("not yaml"),
		"apps/bare/kdir/kustomization.yaml":   file("resources:\n- three.yaml\n"),
		"apps/bare/kdir/three.yaml":           configMap("three"),
		"apps/bare/kdir/ignored-by-flux.yaml": configMap("unlisted"),
		"apps/values/release.yaml":            configMap("rel"),
		"apps/values/helm-values/values.yaml": file("replicaCount: 2\n"),
		"apps/ns/kustomization.yaml":          file("resources:\n- obj.yaml\n"),
		"apps/ns/obj.yaml":                    file("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cr\n"),
		"apps/subst/kustomization.yaml":       file("resources:\n- obj.yaml\n"),
		"apps/subst/obj.yaml":                 file("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\ndata:\n  set: ${CLUSTER}\n  dflt: ${REGION:=us-east}\n  esc: $${CLUSTER}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: off\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  raw: ${CLUSTER}\n"),
		"apps/remote/kustomization.yaml":      file("resources:\n- a.yaml\n- github.com/org/repo//deploy?ref=v1\n- https://example.com/crds.yaml\n"),
		"apps/remote/a.yaml":                  configMap("a"),
		"apps/missing/kustomization.yaml":     file("resources:\n- a.yaml\n- nothere.yaml\n"),
		"apps/missing/a.yaml":                 configMap("a"),
		"apps/nested/kustomization.yaml":      file("resources:\n- ../missing\n"),
		"apps/self/kustomization.yaml":        file("resources:\n- .\n"),
		"apps/loop1/kustomization.yaml":       file("resources:\n- ../loop2\n"),
		"apps/loop2/kustomization.yaml":       file("resources:\n- ../loop1\n"),
		"apps/ccycle/kustomization.yaml":      file("components:\n- ../comp\n"),
		"apps/comp/kustomization.yaml":        file("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncomponents:\n- ../comp\n"),
		"apps/outside/kustomization.yaml":     file("resources:\n- ../../../../etc/hostname\n"),
		"apps/withcomp/kustomization.yaml":    file("resources:\n- a.yaml\n"),
		"apps/withcomp/a.yaml":                configMap("a"),
		"apps/withcomp/c/kustomization.yaml":  file("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nlabels:\n- pairs: {from: component}\n"),
		"apps/images/kustomization.yaml":      file("resources:\n- deploy.yaml\n"),
		"apps/images/deploy.yaml":             file("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: nginx:1.0\n"),
	}
}

func names(objs []Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Kind+"/"+o.Namespace+"/"+o.Name)
	}
	slices.Sort(out)
	return out
}

func find(t *testing.T, objs []Object, name string) Object {
	t.Helper()
	for _, o := range objs {
		if o.Name == name {
			return o
		}
	}
	t.Fatalf("no object %q in %v", name, names(objs))
	return Object{}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name      string
		req       Request
		want      []string // Kind/Namespace/Name, sorted
		wantErr   string   // substring of Err; "" means success
		errFile   string
		errEntry  string
		wantCheck func(t *testing.T, res Result)
	}{
		{
			name: "plain kustomization with a sibling base",
			req:  Request{Path: "./apps/plain"},
			want: []string{"ConfigMap//a", "ServiceAccount//sa"},
			wantCheck: func(t *testing.T, res Result) {
				if o := find(t, res.Objects, "a"); o.Origin != "apps/plain/a.yaml" {
					t.Errorf("origin of a = %q", o.Origin)
				}
				if o := find(t, res.Objects, "sa"); o.Origin != "apps/shared/sa.yaml" {
					t.Errorf("origin of sa = %q", o.Origin)
				}
				md := find(t, res.Objects, "a").Doc["metadata"].(map[string]any)
				if _, ok := md["annotations"]; ok {
					t.Errorf("origin annotation leaked into the object: %v", md)
				}
			},
		},
		{
			name: "generated object has no origin file",
			req:  Request{Path: "apps/gen"},
			want: []string{"ConfigMap//a", "ConfigMap//gen"},
			wantCheck: func(t *testing.T, res Result) {
				o := find(t, res.Objects, "gen")
				if o.Origin != "" || o.GeneratedBy != "apps/gen/kustomization.yaml" {
					t.Errorf("gen: origin %q generatedBy %q", o.Origin, o.GeneratedBy)
				}
			},
		},
		{
			name: "no kustomization: generated like Flux",
			req:  Request{Path: "apps/bare"},
			want: []string{"ConfigMap//one", "ConfigMap//three", "ConfigMap//two"},
			wantCheck: func(t *testing.T, res Result) {
				if o := find(t, res.Objects, "two"); o.Origin != "apps/bare/sub/two.yml" {
					t.Errorf("origin of two = %q", o.Origin)
				}
			},
		},
		{
			name:    "no kustomization with helm values fails like Flux",
			req:     Request{Path: "apps/values"},
			wantErr: "failed to decode Kubernetes YAML",
			errFile: "apps/values/helm-values/values.yaml",
		},
		{
			name: "targetNamespace applies to namespaced objects only",
			req:  Request{Path: "apps/ns", TargetNamespace: "team"},
			want: []string{"ClusterRole//cr", "ConfigMap/team/c"},
		},
		{
			name: "prefix, suffix and common metadata",
			req: Request{Path: "apps/plain", NamePrefix: "p-", NameSuffix: "-s",
				CommonLabels: map[string]string{"team": "a"}, CommonAnnotations: map[string]string{"note": "n"}},
			want: []string{"ConfigMap//p-a-s", "ServiceAccount//p-sa-s"},
			wantCheck: func(t *testing.T, res Result) {
				md := find(t, res.Objects, "p-a-s").Doc["metadata"].(map[string]any)
				if md["labels"].(map[string]any)["team"] != "a" || md["annotations"].(map[string]any)["note"] != "n" {
					t.Errorf("metadata = %v", md)
				}
			},
		},
		{
			name: "patches with and without target",
			req: Request{Path: "apps/plain", Patches: []Patch{
				{Patch: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  key: patched\n"},
				{Patch: `[{"op": "add", "path": "/metadata/labels", "value": {"p": "json"}}]`, Target: &Selector{Kind: "ServiceAccount"}},
			}},
			want: []string{"ConfigMap//a", "ServiceAccount//sa"},
			wantCheck: func(t *testing.T, res Result) {
				if v := find(t, res.Objects, "a").Doc["data"].(map[string]any)["key"]; v != "patched" {
					t.Errorf("strategic merge patch not applied: %v", v)
				}
				md := find(t, res.Objects, "sa").Doc["metadata"].(map[string]any)
				if l, _ := md["labels"].(map[string]any); l["p"] != "json" {
					t.Errorf("json patch not applied: %v", md)
				}
			},
		},
		{
			name: "images",
			req:  Request{Path: "apps/images", Images: []Image{{Name: "nginx", NewTag: "2.0"}}},
			want: []string{"Deployment//d"},
			wantCheck: func(t *testing.T, res Result) {
				c := find(t, res.Objects, "d").Doc["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0]
				if img := c.(map[string]any)["image"]; img != "nginx:2.0" {
					t.Errorf("image = %v", img)
				}
			},
		},
		{
			name: "components relative to path",
			req:  Request{Path: "apps/withcomp", Components: []string{"c"}},
			want: []string{"ConfigMap//a"},
			wantCheck: func(t *testing.T, res Result) {
				md := find(t, res.Objects, "a").Doc["metadata"].(map[string]any)
				if l, _ := md["labels"].(map[string]any); l["from"] != "component" {
					t.Errorf("component not applied: %v", md)
				}
			},
		},
		{
			name: "postBuild substitution",
			req:  Request{Path: "apps/subst", Substitute: map[string]string{"CLUSTER": "prod"}},
			want: []string{"ConfigMap//off", "ConfigMap//s"},
			wantCheck: func(t *testing.T, res Result) {
				data := find(t, res.Objects, "s").Doc["data"].(map[string]any)
				if data["set"] != "prod" || data["dflt"] != "us-east" || data["esc"] != "${CLUSTER}" {
					t.Errorf("substituted data = %v", data)
				}
				if raw := find(t, res.Objects, "off").Doc["data"].(map[string]any)["raw"]; raw != "${CLUSTER}" {
					t.Errorf("disabled object was substituted: %v", raw)
				}
			},
		},
		{
			name: "no substitution without postBuild",
			req:  Request{Path: "apps/subst"},
			want: []string{"ConfigMap//off", "ConfigMap//s"},
			wantCheck: func(t *testing.T, res Result) {
				if v := find(t, res.Objects, "s").Doc["data"].(map[string]any)["set"]; v != "${CLUSTER}" {
					t.Errorf("set = %v", v)
				}
			},
		},
		{
			name: "remote resources are stripped and reported",
			req:  Request{Path: "apps/remote"},
			want: []string{"ConfigMap//a"},
			wantCheck: func(t *testing.T, res Result) {
				want := []Remote{
					{File: "apps/remote/kustomization.yaml", Field: "resources", Entry: "github.com/org/repo//deploy?ref=v1"},
					{File: "apps/remote/kustomization.yaml", Field: "resources", Entry: "https://example.com/crds.yaml"},
				}
				if !slices.Equal(res.Remotes, want) {
					t.Errorf("remotes = %+v", res.Remotes)
				}
			},
		},
		{
			name:     "missing file names the entry",
			req:      Request{Path: "apps/missing"},
			wantErr:  "doesn't exist",
			errFile:  "apps/missing/kustomization.yaml",
			errEntry: "nothere.yaml",
		},
		{
			name:     "missing file in a nested base names the base's kustomization",
			req:      Request{Path: "apps/nested"},
			wantErr:  "doesn't exist",
			errFile:  "apps/missing/kustomization.yaml",
			errEntry: "nothere.yaml",
		},
		{
			name:     "self recursion",
			req:      Request{Path: "apps/self"},
			wantErr:  "cycle detected",
			errFile:  "apps/self/kustomization.yaml",
			errEntry: ".",
		},
		{
			name:     "mutual recursion",
			req:      Request{Path: "apps/loop1"},
			wantErr:  "cycle detected",
			errFile:  "apps/loop2/kustomization.yaml",
			errEntry: "../loop1",
		},
		{
			name:    "component cycle",
			req:     Request{Path: "apps/ccycle"},
			wantErr: "cycle detected",
			errFile: "apps/comp/kustomization.yaml",
		},
		{
			name:     "nothing outside the source root is reachable",
			req:      Request{Path: "apps/outside"},
			wantErr:  "doesn't exist",
			errEntry: "../../../../etc/hostname",
		},
		{
			name:    "path not found",
			req:     Request{Path: "apps/nope"},
			wantErr: "not found",
		},
		{
			name:    "path outside root",
			req:     Request{Path: "../x"},
			wantErr: "outside the source root",
		},
	}
	r := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.FS = fixture()
			res := r.Render(context.Background(), tt.req)
			if tt.wantErr != "" {
				if res.Err == nil || !strings.Contains(res.Err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", res.Err, tt.wantErr)
				}
				if strings.Contains(res.Err.Error(), mount) {
					t.Errorf("error leaks the in-memory mount: %v", res.Err)
				}
				if tt.errFile != "" && res.ErrFile != tt.errFile {
					t.Errorf("ErrFile = %q, want %q", res.ErrFile, tt.errFile)
				}
				if tt.errEntry != "" && res.ErrEntry != tt.errEntry {
					t.Errorf("ErrEntry = %q, want %q", res.ErrEntry, tt.errEntry)
				}
				return
			}
			if res.Err != nil {
				t.Fatalf("unexpected error: %v", res.Err)
			}
			if got := names(res.Objects); !slices.Equal(got, tt.want) {
				t.Errorf("objects = %v, want %v", got, tt.want)
			}
			if tt.wantCheck != nil {
				tt.wantCheck(t, res)
			}
		})
	}
}

// countingFS counts opens so tests can tell a cache hit from a build.
type countingFS struct {
	fstest.MapFS
	opens *int
}

func (c countingFS) Open(name string) (fs.File, error) {
	*c.opens++
	return c.MapFS.Open(name)
}

func (c countingFS) ReadFile(name string) ([]byte, error) {
	*c.opens++
	return c.MapFS.ReadFile(name)
}

func TestCache(t *testing.T) {
	fsys := fixture()
	r := New()
	req := Request{FS: fsys, Path: "apps/plain"}
	first := r.Render(context.Background(), req)
	if first.Err != nil {
		t.Fatal(first.Err)
	}
	// Mutating a result must not corrupt the cache.
	first.Objects[0].Doc["kind"] = "Mutated"

	// An unrelated file changes: still a hit, and the result is intact.
	fsys["apps/other.yaml"] = configMap("other")
	second := r.Render(context.Background(), req)
	if got := names(second.Objects); !slices.Equal(got, []string{"ConfigMap//a", "ServiceAccount//sa"}) {
		t.Fatalf("cached objects = %v", got)
	}
	if len(r.cache) != 1 {
		t.Fatalf("cache has %d entries", len(r.cache))
	}

	// A file of the closure changes: rebuilt.
	fsys["apps/plain/a.yaml"] = configMap("renamed")
	third := r.Render(context.Background(), req)
	if got := names(third.Objects); !slices.Equal(got, []string{"ConfigMap//renamed", "ServiceAccount//sa"}) {
		t.Fatalf("after change objects = %v", got)
	}

	// A hit reads only the closure (re-hashing), never runs kustomize:
	// fewer opens than a build, which also reads kustomization files twice.
	opens := 0
	cfs := countingFS{MapFS: fsys, opens: &opens}
	r2 := New()
	r2.Render(context.Background(), Request{FS: cfs, Path: "apps/plain"})
	built := opens
	opens = 0
	r2.Render(context.Background(), Request{FS: cfs, Path: "apps/plain"})
	if opens == 0 || opens > built {
		t.Errorf("cache hit opened %d files, build opened %d", opens, built)
	}
}

func TestFileTooLarge(t *testing.T) {
	fsys := fstest.MapFS{
		"app/kustomization.yaml": file("resources:\n- big.yaml\n"),
		"app/big.yaml":           file(strings.Repeat("# padding\n", 200)),
	}
	lim := DefaultLimits()
	lim.MaxFileBytes = 1000
	res := NewWithLimits(lim).Render(context.Background(), Request{FS: fsys, Path: "app"})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "app/big.yaml") {
		t.Fatalf("err = %v, want one naming app/big.yaml", res.Err)
	}
	if res.ErrFile != "app/big.yaml" {
		t.Errorf("ErrFile = %q", res.ErrFile)
	}
}

func TestObjectLimit(t *testing.T) {
	fsys := fstest.MapFS{
		"app/kustomization.yaml": file("resources:\n- a.yaml\n- b.yaml\n"),
		"app/a.yaml":             configMap("a"),
		"app/b.yaml":             configMap("b"),
	}
	lim := DefaultLimits()
	lim.MaxObjects = 1
	res := NewWithLimits(lim).Render(context.Background(), Request{FS: fsys, Path: "app"})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "limit") {
		t.Fatalf("err = %v", res.Err)
	}
}

func TestCancelledWhileWaiting(t *testing.T) {
	r := New()
	for len(r.sem) < cap(r.sem) {
		r.sem <- struct{}{} // other builds hold every slot
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := r.Render(ctx, Request{FS: fixture(), Path: "apps/plain"})
	if res.Err != context.Canceled {
		t.Fatalf("err = %v", res.Err)
	}
}

func TestNoKustomizationProblems(t *testing.T) {
	fsys := fixture()
	tests := []struct {
		path string
		want []string
	}{
		{"apps/values", []string{"apps/values/helm-values/values.yaml"}},
		{"./apps/bare", nil},
		{"apps/plain", nil}, // has a kustomization
		{"apps/none", nil},  // does not exist: another rule's business
	}
	for _, tt := range tests {
		got, err := NoKustomizationProblems(fsys, tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.path, got, tt.want)
		}
	}
}

// sharedData returns the real-world data folder beside the module root, or
// skips the test when this clone has none.
func sharedData(t testing.TB) string { return testrepo.SharedData(t) }

func TestRealBaseServices(t *testing.T) {
	base := filepath.Join(sharedData(t), "opencenter-gitops-base", "2026.01")
	fsys := os.DirFS(base)
	dirs, err := fs.Glob(fsys, "applications/base/services/*/kustomization.yaml")
	if err != nil || len(dirs) < 10 {
		t.Fatalf("found %d service kustomizations (%v)", len(dirs), err)
	}
	r := New()
	for _, kf := range dirs {
		svc := filepath.Dir(kf)
		t.Run(filepath.Base(svc), func(t *testing.T) {
			res := r.Render(context.Background(), Request{FS: fsys, Path: "./" + svc})
			if res.Err != nil {
				t.Fatalf("render %s: %v", svc, res.Err)
			}
			remote := len(res.Remotes) > 0
			switch filepath.Base(svc) {
			case "external-snapshotter", "olm":
				if !remote {
					t.Errorf("expected remote entries to be stripped")
				}
			default:
				if remote {
					t.Errorf("unexpected remotes %v", res.Remotes)
				}
				if len(res.Objects) == 0 {
					t.Errorf("no objects rendered")
				}
			}
			for _, o := range res.Objects {
				if o.Origin == "" && o.GeneratedBy == "" {
					t.Errorf("%s/%s has neither origin nor generator", o.Kind, o.Name)
				}
				if o.Origin != "" {
					if _, err := fs.Stat(fsys, o.Origin); err != nil {
						t.Errorf("%s/%s origin %q: %v", o.Kind, o.Name, o.Origin, err)
					}
				}
			}
		})
	}
}

func BenchmarkRender(b *testing.B) {
	base := filepath.Join(sharedData(b), "opencenter-gitops-base", "2026.01")
	fsys := os.DirFS(base)
	req := Request{FS: fsys, Path: "applications/base/services/cert-manager", TargetNamespace: "cert-manager"}
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			if res := New().Render(context.Background(), req); res.Err != nil {
				b.Fatal(res.Err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		r := New()
		for b.Loop() {
			if res := r.Render(context.Background(), req); res.Err != nil {
				b.Fatal(res.Err)
			}
		}
	})
}

func TestConcurrentRenders(t *testing.T) {
	r := New()
	fsys := fixture()
	done := make(chan Result)
	paths := []string{"apps/plain", "apps/bare", "apps/gen", "apps/ns", "apps/plain", "apps/bare"}
	for _, p := range paths {
		go func() { done <- r.Render(context.Background(), Request{FS: fsys, Path: p}) }()
	}
	for range paths {
		if res := <-done; res.Err != nil || len(res.Objects) == 0 {
			t.Errorf("concurrent render: err %v, %d objects", res.Err, len(res.Objects))
		}
	}
}

// TestParallelRendersWithOpenAPI runs builds in parallel, one of them with a custom
// OpenAPI schema that must run alone; run with -race.
func TestParallelRendersWithOpenAPI(t *testing.T) {
	fsys := fstest.MapFS{
		"openapi/kustomization.yaml": {Data: []byte("resources:\n  - cm.yaml\nopenapi:\n  version: v1.21.2\n")},
		"openapi/cm.yaml":            {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: o\n")},
	}
	for i := 0; i < 8; i++ {
		d := fmt.Sprintf("app%d", i)
		fsys[d+"/kustomization.yaml"] = &fstest.MapFile{Data: []byte("resources:\n  - cm.yaml\nnamePrefix: p-\n")}
		fsys[d+"/cm.yaml"] = &fstest.MapFile{Data: []byte(fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c%d\ndata:\n  a: b\n", i))}
	}
	r := New()
	var wg sync.WaitGroup
	for round := 0; round < 3; round++ {
		for _, d := range []string{"openapi", "app0", "app1", "app2", "app3", "app4", "app5", "app6", "app7"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := r.Render(context.Background(), Request{FS: fsys, Path: d, TargetNamespace: "ns"})
				if res.Err != nil || len(res.Objects) != 1 {
					t.Errorf("%s: %v, %d objects", d, res.Err, len(res.Objects))
				}
			}()
		}
	}
	wg.Wait()
}

// TestAliasBombRefused: a listed file whose aliases would expand to
// hundreds of millions of nodes fails the build, naming the file, before
// kustomize (which expands aliases as it reads) sees it; whatever its name.
func TestAliasBombRefused(t *testing.T) {
	bomb := "apiVersion: example.com/v1\nkind: Laughs\nmetadata:\n  name: lol\nspec:\n  l0: &l0 [a, a, a, a, a, a, a, a, a]\n"
	for i := 1; i < 10; i++ {
		bomb += fmt.Sprintf("  l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 9), ", "))
	}
	for _, name := range []string{"bomb.yaml", "bomb.txt"} {
		fsys := fstest.MapFS{
			"app/kustomization.yaml": file("resources:\n- " + name + "\n"),
			"app/" + name:            file(bomb),
		}
		r := New()
		r.slowOnly = true
		res := r.Render(context.Background(), Request{FS: fsys, Path: "app"})
		if res.Err == nil || !strings.Contains(res.Err.Error(), "aliases expand to more than") {
			t.Fatalf("%s: err = %v", name, res.Err)
		}
		if res.ErrFile != "app/"+name {
			t.Errorf("ErrFile = %q", res.ErrFile)
		}
	}
}

// TestBuildDeadline: a build that outlives the deadline is abandoned with
// a "took longer than" error; builds beside it and after it still run, one
// that must run alone gives up waiting instead of blocking the others, and
// new builds are refused while too many abandoned builds still run.
func TestBuildDeadline(t *testing.T) {
	fsys := fixture()
	fsys["openapi/kustomization.yaml"] = file("resources:\n  - cm.yaml\nopenapi:\n  version: v1.21.2\n")
	fsys["openapi/cm.yaml"] = configMap("o")
	lim := DefaultLimits()
	lim.BuildTimeout = 200 * time.Millisecond
	lim.MaxAbandoned = 2
	r := NewWithLimits(lim)
	r.slowOnly = true
	release := make(chan struct{})
	r.beforeBuild = func(req Request) {
		if strings.HasPrefix(req.Path, "apps/bare") {
			<-release // a build that does not end on its own
		}
	}
	defer close(release)

	res := r.Render(context.Background(), Request{FS: fsys, Path: "apps/bare"})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "took longer than 200ms") {
		t.Fatalf("stuck build: err = %v", res.Err)
	}
	if res := r.Render(context.Background(), Request{FS: fsys, Path: "apps/plain"}); res.Err != nil || len(res.Objects) == 0 {
		t.Fatalf("build after an abandoned one: %v, %d objects", res.Err, len(res.Objects))
	}
	// The abandoned build keeps its share of the gate: a build that needs
	// it alone gives up waiting, and later shared builds still run.
	res = r.Render(context.Background(), Request{FS: fsys, Path: "openapi"})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "waited longer than") {
		t.Fatalf("exclusive build behind an abandoned one: err = %v", res.Err)
	}
	if res := r.Render(context.Background(), Request{FS: fsys, Path: "apps/gen"}); res.Err != nil {
		t.Fatalf("shared build after an exclusive one gave up: %v", res.Err)
	}
	// A second stuck build reaches MaxAbandoned: the next one is refused.
	if res := r.Render(context.Background(), Request{FS: fsys, Path: "apps/bare/sub"}); res.Err == nil {
		t.Fatal("second stuck build: no error")
	}
	res = r.Render(context.Background(), Request{FS: fsys, Path: "apps/ns"})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "2 earlier builds took longer than") {
		t.Fatalf("build with two abandoned ones running: err = %v", res.Err)
	}
}

// TestAbandonedBuildEnds: once an abandoned build ends, the gate and the
// budget of abandoned builds are free again, and its content is answered
// from the cache with the same timeout, not built again.
func TestAbandonedBuildEnds(t *testing.T) {
	fsys := fixture()
	fsys["openapi/kustomization.yaml"] = file("resources:\n  - cm.yaml\nopenapi:\n  version: v1.21.2\n")
	fsys["openapi/cm.yaml"] = configMap("o")
	lim := DefaultLimits()
	lim.BuildTimeout = 200 * time.Millisecond
	lim.MaxAbandoned = 1
	r := NewWithLimits(lim)
	r.slowOnly = true
	release := make(chan struct{})
	var builds sync.WaitGroup
	var mu sync.Mutex
	bareBuilds := 0
	r.beforeBuild = func(req Request) {
		if req.Path == "apps/bare" {
			mu.Lock()
			bareBuilds++
			mu.Unlock()
			<-release
			builds.Done()
		}
	}
	builds.Add(1)
	if res := r.Render(context.Background(), Request{FS: fsys, Path: "apps/bare"}); res.Err == nil {
		t.Fatal("stuck build: no error")
	}
	close(release)
	builds.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		r.mu.Lock()
		n := r.abandoned
		r.mu.Unlock()
		if n == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the abandoned build is still counted")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if res := r.Render(context.Background(), Request{FS: fsys, Path: "openapi"}); res.Err != nil {
		t.Fatalf("exclusive build after the abandoned one ended: %v", res.Err)
	}
	res := r.Render(context.Background(), Request{FS: fsys, Path: "apps/bare"})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "took longer than") {
		t.Fatalf("same content again: err = %v", res.Err)
	}
	if bareBuilds != 1 {
		t.Errorf("built %d times, want once (then cached)", bareBuilds)
	}
}

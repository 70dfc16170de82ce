package analysis_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
)

// fluxKustomization is a Flux Kustomization of this repository.
func fluxKustomization(name, path string) string {
	return fmt.Sprintf(`apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: %s
  namespace: flux-system
spec:
  interval: 10m
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  path: %s
`, name, path)
}

// badDeployment has a replicas field of the wrong type on line 7: a
// finding that only rendering and validation report.
const badDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: web
spec:
  replicas: lots
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
`

// renderRepo lays out two clusters. Cluster "broken" applies two Flux
// Kustomizations: "bad", whose path the test fills with hostile input, and
// "web", a sibling with a schema error. Cluster "other" has the same
// schema error. It returns the directory of "bad".
func renderRepo(t *testing.T) (dir, bad string) {
	dir = t.TempDir()
	for _, cl := range []string{"broken", "other"} {
		root := "applications/overlays/" + cl
		write(t, dir, root+"/kustomization.yaml", "resources:\n  - ./services/fluxcd\n")
		var ks []string
		if cl == "broken" {
			write(t, dir, root+"/services/fluxcd/bad.yaml", fluxKustomization("bad", "./"+root+"/services/bad"))
			ks = append(ks, "  - ./bad.yaml")
		}
		write(t, dir, root+"/services/fluxcd/web.yaml", fluxKustomization("web", "./"+root+"/services/web"))
		ks = append(ks, "  - ./web.yaml")
		write(t, dir, root+"/services/fluxcd/kustomization.yaml", "resources:\n"+strings.Join(ks, "\n")+"\n")
		write(t, dir, root+"/services/web/kustomization.yaml", "resources:\n  - ./deployment.yaml\n")
		write(t, dir, root+"/services/web/deployment.yaml", badDeployment)
	}
	return dir, "applications/overlays/broken/services/bad"
}

// checkRestAnalysed: the sibling Flux Kustomization and the other cluster
// are still rendered and validated.
func checkRestAnalysed(t *testing.T, ds []diag.Diagnostic) {
	t.Helper()
	for _, cl := range []string{"broken", "other"} {
		f := "applications/overlays/" + cl + "/services/web/deployment.yaml"
		if d := find(ds, f, "schema/invalid"); d == nil || d.Range.Start.Line != 7 {
			t.Errorf("%s: the rest of the repository was not analysed: no schema/invalid on line 7; got %v", f, ds)
		}
	}
}

// buildErrors returns the kustomize/build findings.
func buildErrors(ds []diag.Diagnostic) []diag.Diagnostic {
	var out []diag.Diagnostic
	for _, d := range ds {
		if d.Rule == "kustomize/build" {
			out = append(out, d)
		}
	}
	return out
}

// TestRenderHugeGeneratorFile: a 100 MB file behind a configMapGenerator
// is refused by size, not read into memory, and the finding names it.
func TestRenderHugeGeneratorFile(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100 MB")
	}
	dir, bad := renderRepo(t)
	write(t, dir, bad+"/kustomization.yaml", `configMapGenerator:
  - name: blob
    namespace: web
    files:
      - blob.bin=./blob.bin
`)
	f, err := os.Create(filepath.Join(dir, bad, "blob.bin"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := []byte(strings.Repeat("0123456789abcdef", 1<<16)) // 1 MiB
	for range 100 {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ds := analyseDir(t, dir)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// TotalAlloc counts every allocation of the run: reading the file
	// even once would add 100 MB.
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 100<<20 {
		t.Errorf("the analysis allocated %d MB: the file was read", grew>>20)
	}

	be := buildErrors(ds)
	if len(be) != 1 {
		t.Fatalf("want one kustomize/build, got %v", ds)
	}
	d := be[0]
	if d.File != bad+"/kustomization.yaml" || d.Range.Start.Line != 5 || !strings.Contains(d.Message, "blob.bin") || !strings.Contains(d.Message, "larger than") {
		t.Errorf("want kustomize/build at %s/kustomization.yaml:5 naming blob.bin and its size; got %s:%d: %s", bad, d.File, d.Range.Start.Line, d.Message)
	}
	checkRestAnalysed(t, ds)
}

// TestRenderTenThousandResources: a kustomization listing 10,000 files
// finishes, and reports nothing or a message that names the limit.
func TestRenderTenThousandResources(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 10,000 files")
	}
	dir, bad := renderRepo(t)
	var b strings.Builder
	b.WriteString("resources:\n")
	for i := range 10000 {
		name := fmt.Sprintf("cm-%05d.yaml", i)
		fmt.Fprintf(&b, "  - ./%s\n", name)
		write(t, dir, bad+"/"+name, fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%05d\n  namespace: web\ndata:\n  k: v\n", i))
	}
	write(t, dir, bad+"/kustomization.yaml", b.String())
	ds := analyseDir(t, dir)
	for _, d := range ds {
		if strings.HasPrefix(d.File, bad+"/") || d.File == "applications/overlays/broken/services/fluxcd/bad.yaml" {
			if d.Rule != "kustomize/build" || !strings.Contains(d.Message, "limit") {
				t.Errorf("%s:%d: %s: %s", d.File, d.Range.Start.Line, d.Rule, d.Message)
			}
		}
	}
	checkRestAnalysed(t, ds)
}

// TestRenderCycles: a kustomization that includes itself, one that
// includes another that includes it, and a component cycle each give one
// kustomize/build at the entry that closes the cycle, and nothing else
// stops.
func TestRenderCycles(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files map[string]string // relative to the bad path
		file  string            // where the finding is, relative to the bad path
		line  int
		msg   string
	}{
		{"self", map[string]string{
			"kustomization.yaml": "resources:\n  - ./cm.yaml\n  - .\n",
			"cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: web\n",
		}, "kustomization.yaml", 3, "includes itself"},
		{"through a parent", map[string]string{
			"kustomization.yaml":     "resources:\n  - ./sub\n",
			"sub/kustomization.yaml": "resources:\n  - ..\n",
		}, "sub/kustomization.yaml", 2, "include each other"},
		{"component cycle", map[string]string{
			"kustomization.yaml":    "resources:\n  - ./cm.yaml\ncomponents:\n  - ./c1\n",
			"cm.yaml":               "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: web\n",
			"c1/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncomponents:\n  - ../c2\n",
			"c2/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncomponents:\n  - ../c1\n",
		}, "c2/kustomization.yaml", 4, "components include each other"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir, bad := renderRepo(t)
			for p, s := range tt.files {
				write(t, dir, bad+"/"+p, s)
			}
			ds := analyseDir(t, dir)
			be := buildErrors(ds)
			if len(be) != 1 {
				t.Fatalf("want one kustomize/build, got %v", ds)
			}
			if d := be[0]; d.File != bad+"/"+tt.file || d.Range.Start.Line != tt.line || !strings.Contains(d.Message, "cycle detected") || !strings.Contains(d.Message, tt.msg) {
				t.Errorf("want kustomize/build at %s/%s:%d (%q); got %s:%d: %s", bad, tt.file, tt.line, tt.msg, d.File, d.Range.Start.Line, d.Message)
			}
			checkRestAnalysed(t, ds)
		})
	}
}

package analysis_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/promote"
	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
	"github.com/opencenter-cloud/gitops-hook/internal/treecache"
	"github.com/opencenter-cloud/gitops-hook/internal/workspace"
)

// BenchmarkGenLarge analyses the repositories ../shared/bench/gen-large
// writes (3x60 and 10x150; skipped when ../shared is absent):
//   - cold: every run a new Session (nothing reused but the page cache);
//   - warm: one Session across runs, nothing changed in between;
//   - one-file: one Session, and before each run one service's override
//     values change in one cluster, the analysis scoped to that file as
//     the hook scopes it;
//   - edit-in-memory: as the language server analyses an edit: one
//     Session, the working tree kept in memory (treecache), and one
//     service's overlay kustomization.yaml laid over it, its override
//     Secret name broken and restored in turn; every finding reported.
//
// go test ./internal/analysis -run XXX -bench '^BenchmarkGenLarge$' -benchtime 3x -cpuprofile cpu.out
func BenchmarkGenLarge(b *testing.B) {
	for _, size := range [][2]int{{3, 60}, {10, 150}} {
		b.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(b *testing.B) {
			out := testrepo.GenLarge(b, size[0], size[1])
			customer := filepath.Join(out, "customer")
			newResolver := func() *gitsrc.Resolver {
				return &gitsrc.Resolver{Offline: true, Mirrors: map[string]string{testrepo.GenLargeBaseURL: filepath.Join(out, "base")}}
			}
			root, err := os.OpenRoot(customer)
			if err != nil {
				b.Fatal(err)
			}
			defer root.Close()
			check := func(b *testing.B, s *analysis.Session, changed []string) {
				r, err := s.Analyze(context.Background(), analysis.Options{FS: root.FS(), Sources: newResolver(), Changed: changed})
				if err != nil {
					b.Fatal(err)
				}
				for _, d := range r.Diagnostics {
					if d.Severity.String() == "error" {
						b.Fatalf("gen-large has an error: %s:%d %s %s", d.File, d.Range.Start.Line, d.Rule, d.Message)
					}
				}
			}
			b.Run("cold", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					s := analysis.NewSession(analysis.SessionOptions{})
					check(b, s, nil)
					s.Close()
				}
			})
			b.Run("warm", func(b *testing.B) {
				s := analysis.NewSession(analysis.SessionOptions{})
				defer s.Close()
				check(b, s, nil)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					check(b, s, nil)
				}
			})
			b.Run("edit-in-memory", func(b *testing.B) {
				fsys, closeFS, err := workspace.OpenFS(customer)
				if err != nil {
					b.Fatal(err)
				}
				defer closeFS()
				tree := treecache.New(fsys, treecache.Options{})
				const kfile = "applications/overlays/dev-cluster/services/svc-001/kustomization.yaml"
				orig, err := fs.ReadFile(tree, kfile)
				if err != nil {
					b.Fatal(err)
				}
				broken := []byte(strings.Replace(string(orig), "name: svc-001-values-override", "name: svc-001-values-overide", 1))
				s := analysis.NewSession(analysis.SessionOptions{})
				defer s.Close()
				res := newResolver()
				analyse := func(text []byte) {
					fsys := promote.Overlay(tree, []promote.Change{{File: kfile, After: text}})
					if _, err := s.Analyze(context.Background(), analysis.Options{FS: fsys, Sources: res}); err != nil {
						b.Fatal(err)
					}
				}
				analyse(orig)
				b.ReportAllocs()
				b.ResetTimer()
				n := 0
				for b.Loop() {
					n++
					if n%2 == 1 {
						analyse(broken)
					} else {
						analyse(orig)
					}
				}
			})
			b.Run("one-file", func(b *testing.B) {
				s := analysis.NewSession(analysis.SessionOptions{})
				defer s.Close()
				check(b, s, nil)
				const values = "applications/overlays/dev-cluster/services/svc-007/helm-values/override-values.yaml"
				orig, err := root.ReadFile(values)
				if err != nil {
					b.Fatal(err)
				}
				defer root.WriteFile(values, orig, 0o644)
				b.ReportAllocs()
				b.ResetTimer()
				n := 0
				for b.Loop() {
					n++
					edited := strings.Replace(string(orig), "replicaCount:", fmt.Sprintf("# edit %d\nreplicaCount:", n), 1)
					if err := root.WriteFile(values, []byte(edited), 0o644); err != nil {
						b.Fatal(err)
					}
					check(b, s, []string{values})
				}
			})
		})
	}
}

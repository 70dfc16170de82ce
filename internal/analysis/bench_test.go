package analysis_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/synth"
)

// BenchmarkCheck analyses synthetic repositories of clusters x services,
// with the base read from a local bare repository.
func BenchmarkCheck(b *testing.B) {
	for _, size := range [][2]int{{3, 60}, {10, 150}} {
		b.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(b *testing.B) {
			dir := b.TempDir()
			if err := synth.Generate(dir, size[0], size[1]); err != nil {
				b.Fatal(err)
			}
			repo := filepath.Join(dir, "repo")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				root, err := os.OpenRoot(repo)
				if err != nil {
					b.Fatal(err)
				}
				res := &gitsrc.Resolver{Offline: true, Mirrors: map[string]string{synth.BaseURL: filepath.Join(dir, "base.git")}}
				r, err := analysis.Analyze(context.Background(), analysis.Options{FS: root.FS(), Sources: res})
				if err != nil {
					b.Fatal(err)
				}
				root.Close()
				for _, d := range r.Diagnostics {
					if d.Severity.String() == "error" {
						b.Fatalf("synthetic repository has an error: %s:%d %s %s", d.File, d.Range.Start.Line, d.Rule, d.Message)
					}
				}
			}
		})
	}
}

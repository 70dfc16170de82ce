package rdiff_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	git "github.com/go-git/go-git/v5"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/rdiff"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
)

const baseURL = "ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git"

// BenchmarkRenderedDiffRepin compares, on gen-large 10x150, the committed
// repository with a working tree where every source of one cluster is
// re-pinned from 2026.01 to 2026.02: what `gitops-hook diff --rendered`
// does (both snapshots loaded, every Kustomization of every cluster
// rendered on both sides, a fresh renderer per run).
func BenchmarkRenderedDiffRepin(b *testing.B) {
	gen := filepath.Join(testrepo.SharedData(b), "..", "bench", "gen-large")
	crds := testrepo.SharedData(b, "flux-crds")
	if _, err := exec.LookPath("python3"); err != nil {
		b.Skip("python3 not installed")
	}
	out := b.TempDir()
	if msg, err := exec.Command("python3", gen, out, "--clusters", "10", "--services", "150", "--crd-dir", crds).CombinedOutput(); err != nil {
		b.Fatalf("gen-large: %v\n%s", err, msg)
	}
	customer := filepath.Join(out, "customer")
	const cluster = "staging-cluster"
	sources := filepath.Join(customer, "applications", "overlays", cluster, "services", "sources")
	entries, err := os.ReadDir(sources)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		p := filepath.Join(sources, e.Name())
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(data), `tag: "2026.01"`, `tag: "2026.02"`, 1)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	repo, err := git.PlainOpen(customer)
	if err != nil {
		b.Fatal(err)
	}
	head, err := repo.Head()
	if err != nil {
		b.Fatal(err)
	}
	commit, err := repo.CommitObject(head.Hash())
	if err != nil {
		b.Fatal(err)
	}
	tree, err := commit.Tree()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var rep *rdiff.Report
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res := &gitsrc.Resolver{Offline: true, Mirrors: map[string]string{baseURL: filepath.Join(out, "base")}}
		root, err := os.OpenRoot(customer)
		if err != nil {
			b.Fatal(err)
		}
		old := analysis.Load(ctx, analysis.Options{FS: gitsrc.NewTreeFS(tree, commit.Committer.When, &sync.Mutex{}), Sources: res}, config.Default())
		cur := analysis.Load(ctx, analysis.Options{FS: root.FS(), Sources: res}, config.Default())
		rep = rdiff.Compare(ctx, old, cur, rdiff.Options{Renderer: render.New()})
		root.Close()
	}
	b.StopTimer()
	s := rep.Summary()
	b.ReportMetric(float64(s.Changed+s.Added+s.Removed), "objects-changed")
	b.ReportMetric(float64(s.Changed+s.Added+s.Removed+s.Unchanged), "objects")
	for _, c := range rep.Clusters {
		n := c.Counts.Changed + c.Counts.Added + c.Counts.Removed
		if (c.Cluster == cluster) != (n > 0) {
			b.Errorf("cluster %s: %d objects differ", c.Cluster, n)
		}
		if c.Counts.Failures > 0 {
			b.Errorf("cluster %s: %d builds fail: %s", c.Cluster, c.Counts.Failures, c.Failures[0].Message)
		}
	}
}

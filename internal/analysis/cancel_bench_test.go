package analysis_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
)

// BenchmarkCancelGenLarge cancels a cold analysis of gen-large 10x150
// (skipped when ../shared is absent) at points spread over its run, from
// the listing of the repository to the schema validation, and reports how
// long Analyze takes to return after each cancellation; the worst must be
// under 50 ms.
//
// go test ./internal/analysis -run XXX -bench CancelGenLarge -benchtime 1x
func BenchmarkCancelGenLarge(b *testing.B) {
	out := testrepo.GenLarge(b, 10, 150)
	root, err := os.OpenRoot(filepath.Join(out, "customer"))
	if err != nil {
		b.Fatal(err)
	}
	defer root.Close()
	opts := func() analysis.Options {
		return analysis.Options{FS: root.FS(), Sources: &gitsrc.Resolver{Offline: true,
			Mirrors: map[string]string{testrepo.GenLargeBaseURL: filepath.Join(out, "base")}}}
	}
	// How long a whole cold run takes, to spread the cancellations over
	// it: the second of two, the first warming what a process keeps.
	var full time.Duration
	for range 2 {
		start := time.Now()
		s := analysis.NewSession(analysis.SessionOptions{})
		if _, err := s.Analyze(context.Background(), opts()); err != nil {
			b.Fatal(err)
		}
		s.Close()
		full = time.Since(start)
	}
	b.Logf("uncancelled run: %v", full.Round(time.Millisecond))
	const points = 24
	var worst, total time.Duration
	n := 0
	b.ResetTimer()
	for b.Loop() {
		for i := range points {
			delay := full * time.Duration(i) / points
			s := analysis.NewSession(analysis.SessionOptions{})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := s.Analyze(ctx, opts())
				done <- err
			}()
			select {
			case <-done:
				cancel()
			case <-time.After(delay):
				at := time.Now()
				cancel()
				err := <-done
				took := time.Since(at)
				if err == nil {
					// The run was past its last stage: it completed.
					b.Logf("cancelled at %v: the analysis had completed", delay.Round(time.Millisecond))
				}
				b.Logf("cancelled at %v: returned %v later", delay.Round(time.Millisecond), took.Round(time.Microsecond))
				worst = max(worst, took)
				total += took
				n++
			}
			s.Close()
		}
	}
	b.StopTimer()
	if n == 0 {
		b.Fatal("every run finished before its cancellation")
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "ms-after-cancel-max")
	b.ReportMetric(float64(total.Microseconds())/1000/float64(n), "ms-after-cancel-mean")
	if worst > 50*time.Millisecond {
		b.Errorf("a cancelled analysis returned %v after the cancellation, over 50 ms", worst)
	}
}

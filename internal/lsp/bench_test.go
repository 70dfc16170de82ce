package lsp

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkDidChange measures, on gen-large 3x60 (../shared/bench), the
// time from didChange to the publishDiagnostics that reflects it, with
// the server's defaults (a lone edit after a quiet moment is analysed at
// once; edits during an analysis wait for the debounce): an edit of one service's overlay kustomization.yaml
// that breaks, then restores, its override Secret name; and a ref.tag
// edit. It reports the p95 of each, the first diagnostics after
// initialize, and the peak resident memory of the process. Skipped when
// ../shared is absent.
func BenchmarkDidChange(b *testing.B) {
	gen, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "bench", "gen-large"))
	crds, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "data", "flux-crds"))
	if _, err := os.Stat(gen); err != nil {
		b.Skip("../shared/bench not present")
	}
	clusters, services := 3, 60
	if s := os.Getenv("GITOPS_BENCH_SIZE"); s != "" { // e.g. 10x150
		c, sv, _ := strings.Cut(s, "x")
		clusters, _ = strconv.Atoi(c)
		services, _ = strconv.Atoi(sv)
	}
	out := filepath.Join(b.TempDir(), "out")
	if o, err := exec.Command("python3", gen, out, "--clusters", strconv.Itoa(clusters), "--services", strconv.Itoa(services), "--crd-dir", crds).CombinedOutput(); err != nil {
		b.Fatalf("gen-large: %v\n%s", err, o)
	}
	root := filepath.Join(out, "customer")
	init := map[string]any{"offline": true, "mirrors": map[string]string{
		"ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git": filepath.Join(out, "base")}}
	// As gitops-lsp runs: the file watcher on, the default debounce.
	c := startServer(b, Options{Log: discard{}, Watch: true, Debounce: DefaultDebounce})
	const (
		kfile = "applications/overlays/dev-cluster/services/svc-001/kustomization.yaml"
		src   = "applications/overlays/dev-cluster/services/sources/opencenter-svc-001.yaml"
	)
	start := time.Now()
	c.initialize(root, init)
	c.waitDiags(src, "tag/update-available", hasRule("tag/update-available"))
	first := time.Since(start)
	c.open(kfile)
	c.open(src)

	var override, tag []time.Duration
	measure := func(into *[]time.Duration, edit func(), p, what string, ok func([]lspDiag) bool) {
		t0 := time.Now()
		edit()
		c.waitDiags(p, what, ok)
		*into = append(*into, time.Since(t0))
	}
	noRule := func(rule string) func([]lspDiag) bool {
		return func(ds []lspDiag) bool { return !hasRule(rule)(ds) }
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		measure(&override, func() { c.replace(kfile, "name: svc-001-values-override", "name: svc-001-values-overide") },
			kfile, "values/override-not-consumed", hasRule("values/override-not-consumed"))
		measure(&override, func() { c.replace(kfile, "name: svc-001-values-overide", "name: svc-001-values-override") },
			kfile, "[]", empty)
	}
	for i := 0; i < max(3, b.N/2); i++ {
		measure(&tag, func() { c.replace(src, `tag: "2026.01"`, `tag: "2026.02"`) }, src, "no tag/update-available", noRule("tag/update-available"))
		measure(&tag, func() { c.replace(src, `tag: "2026.02"`, `tag: "2026.01"`) }, src, "tag/update-available", hasRule("tag/update-available"))
	}
	b.StopTimer()
	b.ReportMetric(float64(quantile(override, 50).Milliseconds()), "override-p50-ms")
	b.ReportMetric(float64(p95(override).Milliseconds()), "override-p95-ms")
	b.ReportMetric(float64(p95(tag).Milliseconds()), "tag-p95-ms")
	b.ReportMetric(float64(first.Milliseconds()), "first-ms")
	if rss := peakRSS(); rss > 0 {
		b.ReportMetric(float64(rss>>20), "peak-RSS-MB")
	}
}

func p95(ds []time.Duration) time.Duration { return quantile(ds, 95) }

// quantile is the q-th percentile of ds (nearest rank).
func quantile(ds []time.Duration, q int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration{}, ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[max(0, min(len(s)-1, (len(s)*q+99)/100-1))]
}

// peakRSS is the process's peak resident memory (Linux), in bytes.
func peakRSS() int64 {
	if runtime.GOOS != "linux" {
		return 0
	}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

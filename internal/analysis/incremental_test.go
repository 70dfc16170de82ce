package analysis_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/cache"
)

// For every mutation of the mutation suites, the findings of an analysis
// that reuses what earlier analyses built (a long-lived Session that saw
// the clean repository and every earlier mutation; a new Session reading
// the disk cache they filled, as the next hook does) are exactly those of
// a full analysis from nothing, scoped to the changed files or not.
func TestIncrementalEqualsFull(t *testing.T) {
	for _, suite := range []struct {
		fixture   string
		mutations []mutation
	}{
		{"../../testdata/mutation/base.txtar", mutations},
		{"../../testdata/mutation/flux-monorepo.txtar", monorepoMutations},
	} {
		t.Run(filepath.Base(suite.fixture), func(t *testing.T) {
			clean, res, _, _ := loadFixture(t, suite.fixture)
			dir := t.TempDir()
			live := analysis.NewSession(analysis.SessionOptions{Cache: cache.Open(dir, "repo", 0, nil)})
			defer live.Close()
			compare(t, "clean", clean, res, live, dir, nil)
			for _, m := range suite.mutations {
				fsys := applyEdits(t, clean, m.Edits)
				var changed []string
				for _, e := range m.Edits {
					changed = append(changed, e.File)
				}
				compare(t, m.Name, fsys, res, live, dir, nil)
				compare(t, m.Name+" (scoped)", fsys, res, live, dir, changed)
			}
			// And back: what the mutations left in the caches does not
			// leak into the clean repository's findings.
			compare(t, "clean again", clean, res, live, dir, nil)
			if live.Renderer().Stats().MemoryHits.Load() == 0 || diskHits == 0 {
				t.Errorf("nothing reused: %d builds from memory, %d from disk", live.Renderer().Stats().MemoryHits.Load(), diskHits)
			}
		})
	}
}

var diskHits int64

func compare(t *testing.T, name string, fsys fstest.MapFS, res *gitsrc.Resolver, live *analysis.Session, dir string, changed []string) {
	t.Helper()
	ctx := context.Background()
	opts := analysis.Options{FS: fsys, Sources: res, Changed: changed}
	full, err := analysis.Analyze(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	inc, err := live.Analyze(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	next := analysis.NewSession(analysis.SessionOptions{Cache: cache.Open(dir, "repo", 0, nil)})
	defer next.Close()
	live.Flush()
	disk, err := next.Analyze(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	diskHits += next.Renderer().Stats().DiskHits.Load()
	for what, got := range map[string][]diag.Diagnostic{"live Session": inc.Diagnostics, "disk cache": disk.Diagnostics} {
		if !reflect.DeepEqual(got, full.Diagnostics) {
			t.Errorf("%s: %s differs from a full analysis:\n%s", name, what, diffDiags(full.Diagnostics, got))
		}
	}
}

func diffDiags(want, got []diag.Diagnostic) string {
	line := func(d diag.Diagnostic) string {
		return fmt.Sprintf("%s:%d:%d %s %s %s %+v %+v", d.File, d.Range.Start.Line, d.Range.Start.Col, d.Severity, d.Rule, d.Message, d.Related, d.Fixes)
	}
	in := map[string]int{}
	for _, d := range want {
		in[line(d)]++
	}
	for _, d := range got {
		in[line(d)]--
	}
	var b strings.Builder
	for l, n := range in {
		switch {
		case n > 0:
			fmt.Fprintf(&b, "  - only in full: %s\n", l)
		case n < 0:
			fmt.Fprintf(&b, "  + only incremental: %s\n", l)
		}
	}
	if b.Len() == 0 {
		b.WriteString("  (same findings, another order)\n")
	}
	return b.String()
}

// flipFS serves one file's content as before for its first reads and as
// after from then on: a file edited while the analysis reads it.
type flipFS struct {
	fstest.MapFS
	file          string
	before, after []byte
	mu            sync.Mutex
	reads, flipAt int
}

func (f *flipFS) Open(name string) (fs.File, error) {
	if name == f.file {
		f.mu.Lock()
		f.reads++
		data := f.before
		if f.reads > f.flipAt {
			data = f.after
		}
		f.mu.Unlock()
		m := fstest.MapFS{name: &fstest.MapFile{Data: data}}
		return m.Open(name)
	}
	return f.MapFS.Open(name)
}

func (f *flipFS) ReadFile(name string) ([]byte, error) {
	file, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return io.ReadAll(file)
}

func (f *flipFS) Stat(name string) (fs.FileInfo, error) {
	file, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return file.Stat()
}

// A file that changes while it is analysed: no crash, no internal error,
// and what the Session keeps from that run does not leak into the next
// analysis, which reports what a full analysis of the files as they are
// then reports.
func TestFileChangedDuringAnalysis(t *testing.T) {
	clean, res, _, _ := loadFixture(t, "../../testdata/mutation/base.txtar")
	m := mutations[0]
	mutated := applyEdits(t, clean, m.Edits)
	file := m.Edits[0].File
	live := analysis.NewSession(analysis.SessionOptions{Cache: cache.Open(t.TempDir(), "repo", 0, nil)})
	defer live.Close()
	for flipAt := 0; flipAt < 4; flipAt++ {
		f := &flipFS{MapFS: clean, file: file, before: clean[file].Data, after: mutated[file].Data, flipAt: flipAt}
		r, err := live.Analyze(context.Background(), analysis.Options{FS: f, Sources: res})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range r.Errors {
			t.Errorf("flip after %d reads: internal error: %v", flipAt, e)
		}
		if f.reads == 0 {
			t.Fatalf("%s was never read", file)
		}
		for _, final := range []fstest.MapFS{mutated, clean} {
			full, err := analysis.Analyze(context.Background(), analysis.Options{FS: final, Sources: res})
			if err != nil {
				t.Fatal(err)
			}
			inc, err := live.Analyze(context.Background(), analysis.Options{FS: final, Sources: res})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(inc.Diagnostics, full.Diagnostics) {
				t.Errorf("flip after %d reads, then stable: differs from a full analysis:\n%s", flipAt, diffDiags(full.Diagnostics, inc.Diagnostics))
			}
		}
	}
}

package analysis_test

import (
	"strings"
	"testing"
)

// TestRenderMessages: beyond the line, the message of a rendered finding
// says what the user needs to fix it.
func TestRenderMessages(t *testing.T) {
	for _, tt := range []struct {
		fixture, file string
		line          int
		want          []string
		related       []string // files the finding points to
	}{
		{"render-postbuild", "applications/overlays/dev/services/vars/bad.yaml", 7,
			[]string{"/spec/replicas", `${REPLICAS} is "two"`}, nil},
		{"render-postbuild", "applications/overlays/dev/services/fluxcd/flux.yaml", 43,
			[]string{"/spec/replicas", "set by this patch"}, nil},
		{"render-build", "applications/overlays/dev/services/dup/kustomization.yaml", 5,
			[]string{"already registered id", "settings"},
			[]string{"applications/overlays/dev/services/dup/a/configmap.yaml", "applications/overlays/dev/services/dup/b.yaml"}},
		{"render-build", "applications/overlays/dev/services/badop/kustomization.yaml", 6,
			[]string{`operation "frobnicate"`}, nil},
		{"render-build", "applications/overlays/dev/services/loop/y/kustomization.yaml", 4,
			[]string{"loop/x -> applications/overlays/dev/services/loop/y -> applications/overlays/dev/services/loop/x"}, nil},
		{"render-build", "applications/overlays/dev/services/components/c2/kustomization.yaml", 4,
			[]string{"components include each other"}, nil},
		{"render-build", "applications/overlays/dev/services/fluxcd/base.yaml", 23,
			[]string{"in base@v1", "already registered id"},
			[]string{"applications/base/services/broken/kustomization.yaml", "applications/base/services/broken/a.yaml", "applications/base/services/broken/b.yaml"}},
	} {
		ds := runFixture(t, "../../testdata/rules/"+tt.fixture+".txtar")
		found := false
		for _, d := range ds {
			if d.File != tt.file || d.Range.Start.Line != tt.line {
				continue
			}
			found = true
			for _, w := range tt.want {
				if !strings.Contains(d.Message, w) {
					t.Errorf("%s:%d: message %q lacks %q", tt.file, tt.line, d.Message, w)
				}
			}
			for _, w := range tt.related {
				ok := false
				for _, rel := range d.Related {
					ok = ok || rel.File == w
				}
				if !ok {
					t.Errorf("%s:%d: no related location in %s: %+v", tt.file, tt.line, w, d.Related)
				}
			}
		}
		if !found {
			t.Errorf("%s:%d: nothing reported", tt.file, tt.line)
		}
	}
}

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
	}{
		{"render-postbuild", "applications/overlays/dev/services/vars/bad.yaml", 7,
			[]string{"/spec/replicas", `${REPLICAS} is "two"`}},
		{"render-postbuild", "applications/overlays/dev/services/fluxcd/flux.yaml", 43,
			[]string{"/spec/replicas", "set by this patch"}},
		{"render-build", "applications/overlays/dev/services/dup/kustomization.yaml", 5,
			[]string{"already registered id", "settings"}},
		{"render-build", "applications/overlays/dev/services/loop/y/kustomization.yaml", 4,
			[]string{"loop/x -> applications/overlays/dev/services/loop/y -> applications/overlays/dev/services/loop/x"}},
		{"render-build", "applications/overlays/dev/services/components/c2/kustomization.yaml", 4,
			[]string{"components include each other"}},
		{"render-build", "applications/overlays/dev/services/fluxcd/base.yaml", 23,
			[]string{"in base@v1", "already registered id"}},
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
		}
		if !found {
			t.Errorf("%s:%d: nothing reported", tt.file, tt.line)
		}
	}
}

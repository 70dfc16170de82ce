package view

import (
	"path"
	"strings"
	"testing"
)

func TestCleanFastPathAgrees(t *testing.T) {
	for _, p := range []string{".", "", "a", "a/b", "a//b", "a/./b", "a/../b", "../a", "./a", "/a", "a/", "a/..", "..", "...", "a/.b", "a/b..", ".a/b", "a/b/c.yaml"} {
		want := strings.TrimPrefix(p, "/")
		want = path.Clean("./" + want)
		wantOK := !(want == ".." || strings.HasPrefix(want, "../"))
		got, ok := Clean(p)
		if got != want || ok != wantOK {
			t.Errorf("Clean(%q) = %q, %v; want %q, %v", p, got, ok, want, wantOK)
		}
	}
}

package main

import (
	"strings"
	"testing"
)

func TestFilterDeprecations(t *testing.T) {
	in := "# Warning: 'patchesJson6902' is deprecated. Please use 'patches' instead. Run 'kustomize edit fix' to update your Kustomization automatically.\n" +
		"gitops-hook: cannot read config\n" +
		"# Warning: 'commonLabels' is deprecated. Please use 'labels' instead.\n" +
		"no newline at end"
	var out strings.Builder
	filterDeprecations(strings.NewReader(in), &out)
	if want := "gitops-hook: cannot read config\nno newline at end"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

package analysis

import (
	"context"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"strings"
	"testing"
	"testing/fstest"
)

func scopeRepo() fstest.MapFS {
	m := fstest.MapFS{}
	add := func(p, s string) { m[p] = &fstest.MapFile{Data: []byte(s)} }
	kust := func(res ...string) string {
		return "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - " + strings.Join(res, "\n  - ") + "\n"
	}
	flux := func(name, path, src string) string {
		return "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: " + name +
			"\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: " + path + "\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: " + src + "\n"
	}
	for _, c := range []string{"dev", "prod"} {
		o := "applications/overlays/" + c + "/"
		add(o+"kustomization.yaml", kust("services/fluxcd"))
		add(o+"services/fluxcd/kustomization.yaml", kust("app.yaml", "shared.yaml"))
		src := "flux-system"
		if c == "prod" {
			src = "nowhere" // a pre-existing error in prod
		}
		add(o+"services/fluxcd/app.yaml", flux("app", "./"+o+"services/app", src))
		add(o+"services/fluxcd/shared.yaml", flux("shared", "./shared", "flux-system"))
		add(o+"services/app/kustomization.yaml", kust("cm.yaml"))
		add(o+"services/app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n")
	}
	add("shared/kustomization.yaml", kust("cm.yaml"))
	add("shared/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n")
	add("applications/base/services/x/values.yaml", "a: 1\n")
	add("README.md", "hi\n")
	add("scripts/tool.sh", "#!/bin/sh\n")
	return m
}

func TestScopeOf(t *testing.T) {
	res, err := Analyze(context.Background(), Options{FS: scopeRepo()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		changed  []string
		all      bool
		clusters string
	}{
		{[]string{"applications/overlays/dev/services/app/cm.yaml"}, false, "dev"},
		{[]string{"applications/overlays/prod/services/app/gone.yaml"}, false, "prod"},
		{[]string{"shared/cm.yaml"}, false, "dev,prod"},
		{[]string{".gitops.yaml"}, true, "dev,prod"},
		{[]string{"other/new.yaml"}, true, "dev,prod"},
		{[]string{"shared/deleted.yaml"}, true, "dev,prod"},
		{[]string{"README.md", "scripts/tool.sh"}, false, ""},
		{[]string{"README.md", "applications/overlays/dev/kustomization.yaml"}, false, "dev"},
	} {
		s := ScopeOf(res.Model, tc.changed)
		if s.All != tc.all || strings.Join(s.Clusters, ",") != tc.clusters {
			t.Errorf("%v: all=%v clusters=%v, want all=%v clusters=%s", tc.changed, s.All, s.Clusters, tc.all, tc.clusters)
		}
	}
}

func TestAnalyzeChanged(t *testing.T) {
	rules := func(changed []string) []string {
		res, err := Analyze(context.Background(), Options{FS: scopeRepo(), Changed: changed})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range res.Diagnostics {
			out = append(out, d.Rule+"@"+d.File)
		}
		return out
	}
	all := rules(nil)
	if !strings.Contains(strings.Join(all, " "), "flux/source-not-found@applications/overlays/prod/services/fluxcd/app.yaml") {
		t.Fatalf("unscoped analysis misses prod's error: %v", all)
	}
	if got := rules([]string{"applications/overlays/dev/services/app/cm.yaml"}); len(got) != 0 {
		t.Errorf("a dev change reports %v", got)
	}
	if got := strings.Join(rules([]string{"applications/overlays/prod/services/app/cm.yaml"}), " "); !strings.Contains(got, "flux/source-not-found") {
		t.Errorf("a prod change hides prod's error in another file: %v", got)
	}
	got := strings.Join(rules([]string{"applications/base/services/x/values.yaml", "applications/base/services/x/deleted.yaml"}), " ")
	for _, want := range []string{"repo/base-read-only@applications/base/services/x/values.yaml", "repo/base-read-only@applications/base/services/x/deleted.yaml"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in %s", want, got)
		}
	}
}

func TestRelevant(t *testing.T) {
	fsys := fstest.MapFS{"apps/x/kustomization.yaml": {}, "apps/x/values.txt": {}}
	for p, want := range map[string]bool{
		"a.yaml": true, "b/c.yml": true, "d/Kustomization": true, ".gitops.yaml": true,
		"applications/overlays/x/values.txt": true, "apps/x/values.txt": true,
		"README.md": false, "scripts/x.sh": false,
	} {
		if got := Relevant(fsys, p); got != want {
			t.Errorf("Relevant(%s) = %v, want %v", p, got, want)
		}
	}
}

// TestRelevantSkipsUnreadFolders: a change under a folder the analysis
// never reads (.github, archive) is no GitOps change.
func TestRelevantSkipsUnreadFolders(t *testing.T) {
	for p, want := range map[string]bool{
		".github/workflows/ci.yaml":           false,
		"kubernetes/archive/old/app.yaml":     false,
		"apps/.hidden/x.yaml":                 false,
		".gitops.yaml":                        true,
		".sops.yaml":                          true,
		"kubernetes/apps/web/helmrelease.yml": true,
	} {
		if got := Relevant(nil, p); got != want {
			t.Errorf("Relevant(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestScopeKeepsFilesAChangedKustomizationDropped: a changed
// kustomization.yaml that stops listing a file of its folder makes that
// file's findings the change's, though no cluster reaches the file now.
func TestScopeKeepsFilesAChangedKustomizationDropped(t *testing.T) {
	m := scopeRepo()
	m["shared/source.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: s\nspec:\n  url: oci://x/y\n")}
	m["elsewhere/x.yaml"] = &fstest.MapFile{Data: []byte("a: 1\n")}
	res, err := Analyze(context.Background(), Options{FS: m})
	if err != nil {
		t.Fatal(err)
	}
	s := ScopeOf(res.Model, []string{"shared/kustomization.yaml"})
	if s.All {
		t.Fatal("a kustomization both clusters read affects those clusters, not all")
	}
	if !s.Keeps(diag.Diagnostic{File: "shared/source.yaml"}) {
		t.Error("the unlisted file next to the changed kustomization is out of scope")
	}
	if s.Keeps(diag.Diagnostic{File: "elsewhere/x.yaml"}) {
		t.Error("an unrelated file is in scope")
	}
}

package pin

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/promote"
	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
)

func load(t *testing.T, name string) (*txtar.Archive, fstest.MapFS) {
	t.Helper()
	a, err := txtar.ParseFile(filepath.Join("..", "..", "testdata", "promote", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	return a, testrepo.MapFS(a)
}

// helmFixture: bases at 2026.01 and 2026.02; dev pins 2026.02, staging and
// prod 2026.01.
func helmFixture(t *testing.T) analysis.Options {
	a, m := load(t, "helm")
	dir := testrepo.BareRepo(t, testrepo.Snapshots(a))
	const url = "ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git"
	return analysis.Options{FS: m, Sources: &gitsrc.Resolver{Offline: true, Mirrors: map[string]string{url: dir}}}
}

// apply is the repository after the plan: its changes laid over the files.
func apply(t *testing.T, opts analysis.Options, p *Plan) analysis.Options {
	t.Helper()
	opts.FS = promote.Overlay(opts.FS, p.Changes)
	opts.Config = nil
	return opts
}

func run(t *testing.T, opts analysis.Options, po Options) *Plan {
	t.Helper()
	po.Analysis = opts
	p, err := Pin(context.Background(), po)
	if err != nil {
		t.Fatalf("pin %+v: %v", po, err)
	}
	return p
}

func TestPinNextInOneCluster(t *testing.T) {
	opts := helmFixture(t)
	p := run(t, opts, Options{Source: "opencenter-cert-manager", Cluster: "staging-cluster", Next: true})
	const f = "applications/overlays/staging-cluster/services/sources/opencenter-cert-manager.yaml"
	if len(p.Changes) != 1 || p.Changes[0].File != f {
		t.Fatalf("changes: %v", promote.Files(p.Fix))
	}
	before, after := string(p.Changes[0].Before), string(p.Changes[0].After)
	if want := strings.Replace(before, `tag: "2026.01"`, `tag: "2026.02"`, 1); after != want {
		t.Errorf("want only the tag value changed:\n%s", promote.UnifiedDiff(p.Changes[0]))
	}
	if len(p.Targets) != 1 || p.Targets[0].From != "2026.01" || p.Targets[0].To != "2026.02" {
		t.Errorf("targets: %+v", p.Targets)
	}
	if len(p.NewErrors) != 0 {
		t.Errorf("new errors: %v", p.NewErrors)
	}
}

func TestPinByURLMovesEverySource(t *testing.T) {
	opts := helmFixture(t)
	p := run(t, opts, Options{Source: "https://github.com/opencenter-cloud/openCenter-gitops-base", Tag: "2026.01"})
	// dev's two sources move back; staging and prod already pin 2026.01.
	if len(p.Targets) != 2 || len(p.Notes) != 2 {
		t.Errorf("targets %+v notes %q", p.Targets, p.Notes)
	}
	for _, tg := range p.Targets {
		if !strings.Contains(tg.File, "dev-cluster") || tg.To != "2026.01" {
			t.Errorf("unexpected target %+v", tg)
		}
	}
}

func TestPinRejectBlocksPinBack(t *testing.T) {
	opts := helmFixture(t)
	p := run(t, opts, Options{Source: "opencenter-cert-manager", Cluster: "dev-cluster", Previous: true, Reject: true})
	var cfg *promote.Change
	for i := range p.Changes {
		if p.Changes[i].File == ".gitops.yaml" {
			cfg = &p.Changes[i]
		}
	}
	if cfg == nil || cfg.Before != nil || !strings.Contains(string(cfg.After), `openCenter-gitops-base.git: ["2026.02"]`) {
		t.Fatalf(".gitops.yaml not created with the rejected tag: %+v", cfg)
	}
	opts = apply(t, opts, p)
	_, err := Pin(context.Background(), Options{Analysis: opts, Source: "opencenter-cert-manager", Cluster: "dev-cluster", Tag: "2026.02"})
	if err == nil || !IsInput(err) || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("pin back to a rejected tag: %v", err)
	}
	_, err = Pin(context.Background(), Options{Analysis: opts, Source: "opencenter-cert-manager", Cluster: "dev-cluster", Next: true})
	if err == nil || !strings.Contains(err.Error(), "no tag after") {
		t.Fatalf("--next over a rejected tag: %v", err)
	}
}

func TestRejectEditKeepsTheFile(t *testing.T) {
	const u = "ssh://git@github.com/o/base.git"
	for _, tc := range []struct{ in, want string }{
		{"rules:\n  secret/placeholder: off\n", "rules:\n  secret/placeholder: off\nrejectedTags:\n  " + u + ": [\"b\"]\n"},
		{"rejectedTags:\n  https://o@github.com/o/base: [\"a\"] # bad\n", "rejectedTags:\n  https://o@github.com/o/base: [\"a\", \"b\"] # bad\n"},
		{"rejectedTags:\n  " + u + ":\n    - \"a\"\nignore: []\n", "rejectedTags:\n  " + u + ":\n    - \"a\"\n    - \"b\"\nignore: []\n"},
		{"rejectedTags:\n  other: [x]\n", "rejectedTags:\n  " + u + ": [\"b\"]\n  other: [x]\n"},
		{"rejectedTags:\nmirrors: {}\n", "rejectedTags:\n  " + u + ": [\"b\"]\nmirrors: {}\n"},
	} {
		m := fstest.MapFS{".gitops.yaml": {Data: []byte(tc.in)}}
		var fix diag.Fix
		if err := rejectEdit(analysis.Options{FS: m}, []string{u}, map[string][]string{u: {"b"}}, &fix); err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		ch, err := promote.Apply(m, fix)
		if err != nil || len(ch) != 1 {
			t.Errorf("%q: %v %v", tc.in, ch, err)
			continue
		}
		if got := string(ch[0].After); got != tc.want {
			t.Errorf("%q:\ngot  %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestPinBadInput(t *testing.T) {
	opts := helmFixture(t)
	for _, tc := range []struct {
		po   Options
		want string
	}{
		{Options{Source: "opencenter-nope", Next: true}, `no GitRepository "opencenter-nope"`},
		{Options{Source: "opencenter-cert-manager", Cluster: "qa", Next: true}, `unknown cluster "qa"`},
		{Options{Source: "opencenter-cert-manager", Tag: "2027.01"}, `tag "2027.01" does not exist`},
		{Options{Source: "opencenter-cert-manager", Cluster: "staging-cluster", Previous: true}, `no tag before "2026.01"`},
		{Options{Source: "opencenter-cert-manager"}, "exactly one of"},
	} {
		tc.po.Analysis = opts
		_, err := Pin(context.Background(), tc.po)
		if err == nil || !IsInput(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.po, err, tc.want)
		}
	}
	// A repository that cannot be read.
	opts.Sources = &gitsrc.Resolver{Offline: true}
	_, err := Pin(context.Background(), Options{Analysis: opts, Source: "opencenter-cert-manager", Next: true})
	if err == nil || !IsInput(err) || !strings.Contains(err.Error(), "cannot read the repository") {
		t.Errorf("unreadable repository: %v", err)
	}
}

// realBase builds the openCenter gitops base at its real tags, or skips.
func realBase(t *testing.T) string { return testrepo.RealBase(t) }

func TestPinAcrossTheKubePrometheusStackMove(t *testing.T) {
	dir := realBase(t)
	_, m := load(t, "pin-base")
	opts := analysis.Options{FS: m, Sources: &gitsrc.Resolver{Offline: true, Mirrors: map[string]string{
		"https://github.com/opencenter-cloud/openCenter-gitops-base.git": dir}}}

	p := run(t, opts, Options{Source: "opencenter-kube-prometheus-stack", Previous: true})
	if len(p.Targets) != 1 || p.Targets[0].From != "2026.01" || p.Targets[0].To != "release-2025.3.0-rc1" {
		t.Fatalf("targets: %+v", p.Targets)
	}
	found := false
	for _, d := range p.NewErrors {
		if d.Rule == "flux/path-not-found" && strings.HasSuffix(d.File, "fluxcd/kube-prometheus-stack.yaml") &&
			strings.Contains(d.Message, "observability/kube-prometheus-stack") {
			found = true
		}
	}
	if !found {
		t.Fatalf("pinning before the move must report the broken path, got %v", p.NewErrors)
	}
	if len(p.Resolved) != 0 {
		t.Errorf("nothing was broken before: resolved %v", p.Resolved)
	}
	// The comment above the tag survives.
	if after := string(p.Changes[0].After); !strings.Contains(after, "    # the release this cluster runs\n    tag: \"release-2025.3.0-rc1\"\n") {
		t.Errorf("formatting not kept:\n%s", after)
	}

	// cert-manager exists at both tags: pinning it back is harmless, but
	// rejecting 2026.01 holds for the whole repository, so the source that
	// still pins it becomes an error, and the plan says so now.
	p = run(t, opts, Options{Source: "opencenter-cert-manager", Previous: true, Reject: true})
	if len(p.NewErrors) != 1 || p.NewErrors[0].Rule != "tag/rejected" || !strings.HasSuffix(p.NewErrors[0].File, "sources/opencenter-kube-prometheus-stack.yaml") {
		t.Fatalf("rejecting 2026.01 must show the other source still pinning it, got %v", p.NewErrors)
	}
	if !slices.ContainsFunc(p.Notes, func(n string) bool {
		return strings.Contains(n, "1 other source(s) still pin it") && strings.Contains(n, "opencenter-kube-prometheus-stack")
	}) {
		t.Errorf("no note about the other source: %v", p.Notes)
	}
	var cfg string
	for _, c := range p.Changes {
		if c.File == ".gitops.yaml" {
			cfg = string(c.After)
		}
	}
	if !strings.HasPrefix(cfg, "# promotion order\nenvironments: [dev-cluster]\n") || !strings.Contains(cfg, "rejectedTags:\n  https://github.com/opencenter-cloud/openCenter-gitops-base.git: [\"2026.01\"]\n") {
		t.Fatalf(".gitops.yaml:\n%s", cfg)
	}
	opts = apply(t, opts, p)
	if _, err := Pin(context.Background(), Options{Analysis: opts, Source: "opencenter-cert-manager", Next: true}); err == nil || !strings.Contains(err.Error(), "no tag after") {
		t.Errorf("next after a rejected tag: %v", err)
	}
	// The analysis of the pinned repository reports tag/rejected on the
	// source still pinning it.
	res, err := analysis.Analyze(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	rejected := 0
	for _, d := range res.Diagnostics {
		if d.Rule == "tag/rejected" {
			rejected++
		}
	}
	if rejected != 1 {
		t.Errorf("tag/rejected findings: %d, want 1 (kube-prometheus-stack still pins 2026.01)", rejected)
	}
}

// TestPinForwardResolvesTheMovedPath: a cluster pinned before the
// kube-prometheus-stack move with the new path is repaired by pinning the
// next tag, and the plan says which error goes away.
func TestPinForwardResolvesTheMovedPath(t *testing.T) {
	dir := realBase(t)
	_, m := load(t, "pin-base")
	opts := analysis.Options{FS: m, Sources: &gitsrc.Resolver{Offline: true, Mirrors: map[string]string{
		"https://github.com/opencenter-cloud/openCenter-gitops-base.git": dir}}}
	back := run(t, opts, Options{Source: "opencenter-kube-prometheus-stack", Previous: true})
	opts = apply(t, opts, back)
	p := run(t, opts, Options{Source: "opencenter-kube-prometheus-stack", Next: true})
	if len(p.NewErrors) != 0 {
		t.Fatalf("new errors: %v", p.NewErrors)
	}
	if len(p.Resolved) != 1 || p.Resolved[0].Rule != "flux/path-not-found" {
		t.Fatalf("resolved: %v", p.Resolved)
	}
}

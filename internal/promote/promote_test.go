package promote

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
)

const baseURL = "ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git"

// fixture loads testdata/promote/NAME.txtar: the repository files as a
// MapFS and the "@TAG/" files as a bare repository used as the mirror.
func fixture(t *testing.T, name string) analysis.Options {
	t.Helper()
	a, err := txtar.ParseFile(filepath.Join("..", "..", "testdata", "promote", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	m := testrepo.MapFS(a)
	dir := testrepo.BareRepo(t, testrepo.Snapshots(a))
	return analysis.Options{FS: m, Sources: &gitsrc.Resolver{Offline: true, Mirrors: map[string]string{baseURL: dir}}}
}

func changeOf(p *Plan, file string) *Change {
	for i := range p.Changes {
		if p.Changes[i].File == file {
			return &p.Changes[i]
		}
	}
	return nil
}

func errorsOf(ds []diag.Diagnostic) []string {
	var out []string
	for _, d := range ds {
		if d.Severity == diag.Error {
			out = append(out, d.File+": "+d.Message+" ["+d.Rule+"]")
		}
	}
	return out
}

// promoteAndCheck promotes, lays the result over the repository and checks
// that the analysis of the result has no new error.
func promoteAndCheck(t *testing.T, opts analysis.Options, svc, from, to string) *Plan {
	t.Helper()
	p, err := Promote(context.Background(), Options{Analysis: opts, Service: svc, From: from, To: to})
	if err != nil {
		t.Fatalf("promote %s %s->%s: %v", svc, from, to, err)
	}
	if len(p.NewErrors) > 0 {
		t.Fatalf("promote %s %s->%s introduces errors:\n%s", svc, from, to, strings.Join(errorsOf(p.NewErrors), "\n"))
	}
	if len(p.Changes) == 0 {
		t.Fatalf("promote %s %s->%s changes nothing", svc, from, to)
	}
	return p
}

// commit lays a plan's changes over a MapFS, as writing them would.
func commit(t *testing.T, opts analysis.Options, p *Plan) analysis.Options {
	t.Helper()
	opts.FS = Overlay(opts.FS, p.Changes)
	return opts
}

func TestPromotePlainHelmService(t *testing.T) {
	opts := fixture(t, "helm")
	p := promoteAndCheck(t, opts, "metallb", "dev-cluster", "staging-cluster")
	const stg = "applications/overlays/staging-cluster/services/"
	for _, f := range []string{"metallb/kustomization.yaml", "metallb/ipaddresspool.yaml", "metallb/helm-values/override-values.yaml", "fluxcd/metallb.yaml", "sources/opencenter-metallb.yaml"} {
		if c := changeOf(p, stg+f); c == nil || c.Before != nil {
			t.Errorf("%s: want created, got %+v", f, c)
		}
	}
	flux := string(changeOf(p, stg+"fluxcd/metallb.yaml").After)
	if !strings.Contains(flux, "path: ./applications/overlays/staging-cluster/services/metallb") || strings.Contains(flux, "dev-cluster") {
		t.Errorf("Flux paths not rewritten for staging:\n%s", flux)
	}
	src := string(changeOf(p, stg+"sources/opencenter-metallb.yaml").After)
	if !strings.Contains(src, `tag: "2026.01"`) {
		t.Errorf("the promoted source should keep staging's tag 2026.01:\n%s", src)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), `keeping staging-cluster's tag "2026.01" (dev-cluster pins "2026.02")`) {
		t.Errorf("notes do not say the tag was kept: %q", p.Notes)
	}
	k := string(changeOf(p, stg+"fluxcd/kustomization.yaml").After)
	if !strings.HasSuffix(k, "resources:\n  - ./cert-manager.yaml\n  - ./metallb.yaml\n") {
		t.Errorf("fluxcd kustomization not extended in its style:\n%s", k)
	}
	k = string(changeOf(p, stg+"sources/kustomization.yaml").After)
	if !strings.Contains(k, "  - ./opencenter-cert-manager.yaml\n  - ./opencenter-metallb.yaml\n") {
		t.Errorf("sources kustomization not extended:\n%s", k)
	}
	var review []string
	for _, d := range p.Review {
		review = append(review, d.File+":"+d.Message)
		if d.Rule != RuleReview || d.Severity != diag.Info {
			t.Errorf("review finding with rule %s severity %s", d.Rule, d.Severity)
		}
	}
	all := strings.Join(review, "\n")
	for _, want := range []string{"controller.replicas: 1", `"dev-pool" mentions "dev"`} {
		if !strings.Contains(all, want) {
			t.Errorf("review misses %q:\n%s", want, all)
		}
	}
	// Then staging to prod, from the promoted state.
	opts = commit(t, opts, p)
	p2 := promoteAndCheck(t, opts, "metallb", "staging-cluster", "prod-cluster")
	if c := changeOf(p2, "applications/overlays/prod-cluster/services/fluxcd/metallb.yaml"); c == nil || !strings.Contains(string(c.After), "overlays/prod-cluster/services/metallb") {
		t.Errorf("prod Flux file: %+v", c)
	}
	for _, d := range p2.After.Diagnostics {
		if d.Rule == "promotion/skipped-env" {
			t.Errorf("after promoting through every environment: %s: %s", d.File, d.Message)
		}
	}
}

func TestPromoteSyncsChangedService(t *testing.T) {
	opts := fixture(t, "helm")
	p := promoteAndCheck(t, opts, "cert-manager", "dev-cluster", "staging-cluster")
	// Only the override values differ; sources and Flux files already match.
	if len(p.Changes) != 1 || p.Changes[0].File != "applications/overlays/staging-cluster/services/cert-manager/helm-values/override-values.yaml" {
		t.Fatalf("changes: %v", Files(p.Fix))
	}
	before := 0
	for _, d := range p.Before.Diagnostics {
		if d.Rule == "promotion/pending" && strings.Contains(d.File, "staging-cluster") && strings.Contains(d.Message, "cert-manager") {
			before++
		}
	}
	after := 0
	for _, d := range p.After.Diagnostics {
		if d.Rule == "promotion/pending" && strings.Contains(d.File, "staging-cluster") && strings.Contains(d.Message, "cert-manager") {
			after++
		}
	}
	if before != 1 || after != 0 {
		t.Errorf("promotion/pending for staging cert-manager: before %d after %d, want 1 then 0", before, after)
	}
}

func TestPromoteBadInput(t *testing.T) {
	opts := fixture(t, "helm")
	for _, tc := range []struct{ svc, from, to, want string }{
		{"nope", "dev-cluster", "staging-cluster", `unknown service "nope"`},
		{"metallb", "dev-cluster", "qa-cluster", `unknown environment "qa-cluster"`},
		{"metallb", "dev-cluster", "dev-cluster", "onto itself"},
		{"../x", "dev-cluster", "staging-cluster", "not a service name"},
	} {
		_, err := Promote(context.Background(), Options{Analysis: opts, Service: tc.svc, From: tc.from, To: tc.to})
		var ie *InputError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !asInput(err, &ie) {
			t.Errorf("%s %s->%s: got %v, want input error %q", tc.svc, tc.from, tc.to, err, tc.want)
		}
	}
}

func asInput(err error, target **InputError) bool {
	ie, ok := err.(*InputError)
	if ok {
		*target = ie
	}
	return ok
}

func TestPromoteSkippingAnEnvironmentIsReported(t *testing.T) {
	opts := fixture(t, "helm")
	p := promoteAndCheck(t, opts, "metallb", "dev-cluster", "prod-cluster")
	var got []string
	for _, d := range p.After.Diagnostics {
		if d.Rule == "promotion/skipped-env" {
			got = append(got, d.File+":"+d.Message)
			if d.Severity != diag.Warning || d.File != "applications/overlays/prod-cluster/services/fluxcd/metallb.yaml" || d.Range.Start.Line != 5 {
				t.Errorf("skipped-env at %s:%d (%s)", d.File, d.Range.Start.Line, d.Severity)
			}
		}
	}
	if len(got) != 1 || !strings.Contains(got[0], "not in staging-cluster") {
		t.Errorf("skipped-env findings: %q", got)
	}
}

func TestCompareAndMatrix(t *testing.T) {
	opts := fixture(t, "helm")
	res, err := analysis.Analyze(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Compare(res.Model, "dev-cluster", "staging-cluster")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.OnlyA) != 1 || d.OnlyA[0] != "metallb" || len(d.OnlyB) != 0 {
		t.Errorf("only: %v %v", d.OnlyA, d.OnlyB)
	}
	if len(d.Services) != 1 || d.Services[0].Service != "cert-manager" ||
		strings.Join(d.Services[0].Files, ",") != "helm-values/override-values.yaml" ||
		strings.Join(d.Services[0].PinsA, ",") != "opencenter-cert-manager@2026.02" ||
		strings.Join(d.Services[0].PinsB, ",") != "opencenter-cert-manager@2026.01" {
		t.Errorf("services: %+v", d.Services)
	}
	if _, err := Compare(res.Model, "dev-cluster", "qa"); err == nil {
		t.Error("unknown environment accepted")
	}
	m, err := EnvMatrix(res.Model)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.Envs, ",") != "dev-cluster,staging-cluster,prod-cluster" {
		t.Fatalf("envs %v", m.Envs)
	}
	cm := m.Cells["cert-manager"]
	if cm[0].Status != "" || cm[1].Status != "different" || cm[1].Differ != 1 || cm[2].Status != "same" {
		t.Errorf("cert-manager row: %+v", cm)
	}
	if ml := m.Cells["metallb"]; !ml[0].Present || ml[1].Present || ml[2].Present {
		t.Errorf("metallb row: %+v", ml)
	}
}

func TestPromoteExtraManifestsAndEnvLocal(t *testing.T) {
	opts := fixture(t, "services")
	p := promoteAndCheck(t, opts, "gateway-api", "dev-cluster", "staging-cluster")
	const svc = "applications/overlays/staging-cluster/services/gateway-api/"
	got := strings.Join(Files(p.Fix), "\n")
	want := strings.Join([]string{svc + "httproute.yaml", svc + "kustomization.yaml", svc + "old-route.yaml"}, "\n")
	if got != want {
		t.Fatalf("files:\n%s\nwant:\n%s", got, want)
	}
	if c := changeOf(p, svc+"old-route.yaml"); c == nil || c.After != nil {
		t.Errorf("old-route.yaml, gone from dev, should be deleted: %+v", c)
	}
	if changeOf(p, svc+"helm-values/override-values.yaml") != nil {
		t.Error("the env-local override values were touched")
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "override-values.yaml is environment-local") {
		t.Errorf("notes: %q", p.Notes)
	}
	// The override Secret follows the HelmRelease (envoy-gateway-api), not
	// the folder, and is still consumed after the promotion.
	for _, d := range p.After.Diagnostics {
		if d.Rule == "values/override-not-consumed" || d.Rule == "promotion/pending" && strings.Contains(d.Message, "gateway-api") {
			t.Errorf("after promotion: %s: %s [%s]", d.File, d.Message, d.Rule)
		}
	}
	var review []string
	for _, d := range p.Review {
		review = append(review, d.Message)
	}
	if !strings.Contains(strings.Join(review, "\n"), `echo.gw.dev.example.com`) {
		t.Errorf("review misses the dev host name: %q", review)
	}
}

func TestPromoteEnvLocalGlob(t *testing.T) {
	opts := fixture(t, "services")
	m := opts.FS.(fstest.MapFS)
	// Without the marker, a glob in .gitops.yaml keeps the file.
	const ov = "applications/overlays/staging-cluster/services/gateway-api/helm-values/override-values.yaml"
	m[ov] = &fstest.MapFile{Data: []byte(strings.Replace(string(m[ov].Data), "# gitops:env-local", "# staging", 1))}
	m[".gitops.yaml"] = &fstest.MapFile{Data: []byte("envLocal: [\"helm-values/override-values.yaml\"]\n")}
	p := promoteAndCheck(t, opts, "gateway-api", "dev-cluster", "staging-cluster")
	if changeOf(p, ov) != nil {
		t.Error("a file matched by envLocal was overwritten")
	}
	delete(m, ".gitops.yaml")
	p = promoteAndCheck(t, opts, "gateway-api", "dev-cluster", "staging-cluster")
	if c := changeOf(p, ov); c == nil || !strings.Contains(string(c.After), "gw.dev.example.com") {
		t.Errorf("without envLocal the values should be synced: %+v", c)
	}
}

func TestPromoteSharedSource(t *testing.T) {
	opts := fixture(t, "services")
	p := promoteAndCheck(t, opts, "observability", "dev-cluster", "staging-cluster")
	const stg = "applications/overlays/staging-cluster/services/"
	flux := changeOf(p, stg+"fluxcd/observability.yaml")
	if flux == nil {
		t.Fatalf("files: %v", Files(p.Fix))
	}
	for _, name := range []string{"name: kube-prometheus-stack", "name: loki", "name: observability-override", "path: ./applications/overlays/staging-cluster/services/observability"} {
		if !strings.Contains(string(flux.After), name) {
			t.Errorf("observability.yaml lacks %q", name)
		}
	}
	src := changeOf(p, stg+"sources/opencenter-observability.yaml")
	if src == nil || !strings.Contains(string(src.After), `tag: "2026.01"`) {
		t.Errorf("shared source should come once, with staging's tag: %+v", src)
	}
	if c := changeOf(p, stg+"sources/kustomization.yaml"); c == nil || !strings.Contains(string(c.After), "resources: [opencenter-gateway-api.yaml, opencenter-observability.yaml]") {
		t.Errorf("flow-style resources not extended: %+v", c)
	}
	if c := changeOf(p, stg+"fluxcd/kustomization.yaml"); c == nil || !strings.HasSuffix(string(c.After), "- gateway-api.yaml\n- observability.yaml\n") {
		t.Errorf("unindented resources not extended: %+v", c)
	}
	all := ""
	for _, d := range p.Review {
		all += d.File + ":" + d.Message + "\n"
	}
	for _, want := range []string{"grafana.dev.example.com", "prometheus.prometheusSpec.replicas", "resources.limits.memory", `"dev-cluster-loki-chunks" mentions "dev-cluster"`} {
		if !strings.Contains(all, want) {
			t.Errorf("review misses %q:\n%s", want, all)
		}
	}
	// And on to prod is refused as unknown: the chain ends at staging here.
	if _, err := Promote(context.Background(), Options{Analysis: opts, Service: "observability", From: "staging-cluster", To: "prod-cluster"}); err == nil {
		t.Error("promotion to a missing environment accepted")
	}
}

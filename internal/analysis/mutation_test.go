package analysis_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
)

// The mutation test starts from a correct three-cluster repository
// (testdata/mutation/base.txtar) and applies realistic broken commits, one
// at a time. For each, the findings the commit adds must be exactly the
// expected ones, at the expected lines: a mistake the engine misses, places
// elsewhere, or follows with a cascade of consequences fails the test.

const (
	dev  = "applications/overlays/dev-cluster/"
	stg  = "applications/overlays/staging-cluster/"
	prod = "applications/overlays/prod-cluster/"
)

// edit is one change of a commit: replace Old by New in File (first
// occurrence, which must exist), delete File (Delete), or create File with
// content New (Old empty and File absent).
type edit struct {
	File     string
	Old, New string
	Delete   bool
}

// finding is an expected diagnostic: its rule, file, and the line holding
// At (the first occurrence in the mutated file; line 1 when At is empty).
type finding struct {
	Rule, File, At string
}

type mutation struct {
	Name  string
	Edits []edit
	Want  []finding
	// Accept lists further new findings that are true, independent
	// problems introduced by the same commit, with the reason in Why.
	Accept []finding
	Why    string
	// Left, when set, says why further new findings are a known cascade
	// the engine does not yet avoid: they are logged, not failed.
	Left string
}

// ignoredInfo are informational rules whose findings move with any edit
// (a service's overlay now differs between environments, a pin is no
// longer the newest, ...). They are not counted as consequences.
var ignoredInfo = map[string]bool{
	"promotion/pending":    true,
	"promotion/review":     true,
	"tag/update-available": true,
	"schema/missing":       true,
}

func sub(file, old, new string) edit { return edit{File: file, Old: old, New: new} }
func del(file string) edit           { return edit{File: file, Delete: true} }
func add(file, content string) edit  { return edit{File: file, New: content} }

var mutations = []mutation{
	{
		Name:  "base path typo",
		Edits: []edit{sub(dev+"services/fluxcd/cert-manager.yaml", "path: applications/base/services/cert-manager", "path: applications/base/services/cert-manger")},
		Want:  []finding{{"flux/path-not-found", dev + "services/fluxcd/cert-manager.yaml", "cert-manger"}},
	},
	{
		Name:  "override path copied from staging",
		Edits: []edit{sub(prod+"services/fluxcd/cert-manager.yaml", "./applications/overlays/prod-cluster/services/cert-manager", "./applications/overlays/staging-cluster/services/cert-manager")},
		Want:  []finding{{"flux/path-other-cluster", prod + "services/fluxcd/cert-manager.yaml", "staging-cluster"}},
	},
	{
		Name:  "unquoted numeric tag",
		Edits: []edit{sub(stg+"services/sources/opencenter-gateway-api.yaml", `tag: "2026.01"`, `tag: 2026.10`)},
		Want:  []finding{{"tag/not-a-string", stg + "services/sources/opencenter-gateway-api.yaml", "2026.10"}},
	},
	{
		Name:  "tag that does not exist",
		Edits: []edit{sub(dev+"services/sources/opencenter-cert-manager.yaml", `tag: "2026.01"`, `tag: "2026.03"`)},
		Want:  []finding{{"tag/not-found", dev + "services/sources/opencenter-cert-manager.yaml", "2026.03"}},
	},
	{
		Name:  "branch instead of tag",
		Edits: []edit{sub(prod+"services/sources/opencenter-gateway-api.yaml", `tag: "2026.01"`, `branch: main`)},
		Want:  []finding{{"tag/unpinned", prod + "services/sources/opencenter-gateway-api.yaml", "branch: main"}},
	},
	{
		Name:  "override Secret named after the folder",
		Edits: []edit{sub(dev+"services/gateway-api/kustomization.yaml", "name: envoy-gateway-api-values-override", "name: gateway-api-values-override")},
		Want:  []finding{{"values/override-not-consumed", dev + "services/gateway-api/kustomization.yaml", "gateway-api-values-override"}},
	},
	{
		Name:  "override key override.yml",
		Edits: []edit{sub(stg+"services/cert-manager/kustomization.yaml", "override.yaml=", "override.yml=")},
		Want:  []finding{{"values/override-not-consumed", stg + "services/cert-manager/kustomization.yaml", "override.yml="}},
	},
	{
		Name:  "generator without disableNameSuffixHash",
		Edits: []edit{sub(prod+"services/kube-prometheus-stack/kustomization.yaml", "    options:\n      disableNameSuffixHash: true\n", "")},
		Want:  []finding{{"values/hash-suffix", prod + "services/kube-prometheus-stack/kustomization.yaml", "kube-prometheus-stack-values-override"}},
	},
	{
		Name: "new Flux Kustomization not listed",
		Edits: []edit{add(dev+"services/fluxcd/dashboards.yaml", `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: dashboards
  namespace: flux-system
spec:
  dependsOn:
    - name: kube-prometheus-stack-base
  interval: 15m
  sourceRef:
    kind: GitRepository
    name: flux-system
  path: ./applications/overlays/dev-cluster/services/kube-prometheus-stack
  prune: true
`)},
		Want: []finding{{"flux/not-applied", dev + "services/fluxcd/dashboards.yaml", "name: dashboards"}},
	},
	{
		Name:  "source file not listed",
		Edits: []edit{sub(stg+"services/sources/kustomization.yaml", "  - ./opencenter-kube-prometheus-stack.yaml\n", "")},
		Want:  []finding{{"flux/not-applied", stg + "services/sources/opencenter-kube-prometheus-stack.yaml", "name: opencenter-kube-prometheus-stack"}},
	},
	{
		Name:  "resources entry for a deleted file",
		Edits: []edit{del(prod + "services/cert-manager/cluster-issuer.yaml")},
		Want:  []finding{{"kustomize/missing-file", prod + "services/cert-manager/kustomization.yaml", "./cluster-issuer.yaml"}},
	},
	{
		Name:  "duplicate key",
		Edits: []edit{sub(dev+"services/fluxcd/gateway-api.yaml", "  interval: 15m\n  sourceRef:\n    kind: GitRepository\n    name: opencenter-gateway-api\n", "  interval: 15m\n  sourceRef:\n    kind: GitRepository\n    name: opencenter-gateway-api\n  interval: 30m\n")},
		Want:  []finding{{"yaml/duplicate-key", dev + "services/fluxcd/gateway-api.yaml", "interval: 30m"}},
	},
	{
		Name:  "broken indentation in values",
		Edits: []edit{sub(stg+"services/kube-prometheus-stack/helm-values/override-values.yaml", "    enabled: true\n    hosts:", "    enabled: true\n   hosts:")},
		Want:  []finding{{"yaml/syntax", stg + "services/kube-prometheus-stack/helm-values/override-values.yaml", "   hosts:"}},
	},
	{
		Name:  "broken indentation in a Flux Kustomization",
		Edits: []edit{sub(stg+"services/fluxcd/cert-manager.yaml", "  targetNamespace: cert-manager\n  prune: true\n---", "   targetNamespace: cert-manager\n  prune: true\n---")},
		Want:  []finding{{"yaml/syntax", stg + "services/fluxcd/cert-manager.yaml", "   targetNamespace"}},
	},
	{
		Name:  "dependsOn typo",
		Edits: []edit{sub(dev+"services/fluxcd/gateway-api.yaml", "- name: gateway-api-base", "- name: gateway-api-bsae")},
		Want:  []finding{{"flux/dependson-not-found", dev + "services/fluxcd/gateway-api.yaml", "gateway-api-bsae"}},
	},
	{
		Name:  "dependsOn cycle",
		Edits: []edit{sub(prod+"services/fluxcd/cert-manager.yaml", "- name: sources", "- name: cert-manager-override")},
		Want: []finding{
			{"flux/dependson-cycle", prod + "services/fluxcd/cert-manager.yaml", "- name: cert-manager-override"},
			{"flux/dependson-cycle", prod + "services/fluxcd/cert-manager.yaml", "- name: cert-manager-base"},
		},
	},
	{
		Name:  "removed apiVersion v1beta2",
		Edits: []edit{sub(stg+"services/fluxcd/gateway-api.yaml", "kustomize.toolkit.fluxcd.io/v1\n", "kustomize.toolkit.fluxcd.io/v1beta2\n")},
		Want:  []finding{{"flux/api-removed", stg + "services/fluxcd/gateway-api.yaml", "v1beta2"}},
	},
	{
		Name:  "removed field spec.validation",
		Edits: []edit{sub(dev+"services/fluxcd/cert-manager.yaml", "  prune: true\n---", "  prune: true\n  validation: client\n---")},
		Want:  []finding{{"flux/field-removed", dev + "services/fluxcd/cert-manager.yaml", "validation: client"}},
	},
	{
		Name:  "suspend left behind",
		Edits: []edit{sub(prod+"services/fluxcd/kube-prometheus-stack.yaml", "  prune: true\n---", "  prune: true\n  suspend: true\n---")},
		Want:  []finding{{"flux/suspended", prod + "services/fluxcd/kube-prometheus-stack.yaml", "suspend: true"}},
	},
	{
		Name:  "scp-style git url",
		Edits: []edit{sub(stg+"services/sources/opencenter-cert-manager.yaml", "url: ssh://git@github.com/opencenter-cloud/", "url: git@github.com:opencenter-cloud/")},
		Want:  []finding{{"flux/git-url", stg + "services/sources/opencenter-cert-manager.yaml", "url: git@"}},
	},
	{
		Name: "HelmRelease with chart and chartRef",
		Edits: []edit{sub(dev+"services/kube-prometheus-stack/blackbox-exporter.yaml", "  values:\n", `  chartRef:
    kind: OCIRepository
    name: prometheus-blackbox-exporter
  values:
`)},
		Want:   []finding{{"flux/helmrelease-chart", dev + "services/kube-prometheus-stack/blackbox-exporter.yaml", "chartRef:"}},
		Accept: []finding{{"flux/source-not-found", dev + "services/kube-prometheus-stack/blackbox-exporter.yaml", "name: prometheus-blackbox-exporter"}},
		Why:    "the chartRef names an OCIRepository that no file defines: removing chart, one of the two fixes, would still leave it failing",
	},
	{
		Name: "plain Secret committed",
		Edits: []edit{
			add(stg+"services/cert-manager/ca-secret.yaml", `apiVersion: v1
kind: Secret
metadata:
  name: internal-ca
type: Opaque
stringData:
  username: ca-admin
  password: Wq9r2xTz7LbN
`),
			sub(stg+"services/cert-manager/kustomization.yaml", "  - ./cluster-issuer.yaml\n", "  - ./cluster-issuer.yaml\n  - ./ca-secret.yaml\n"),
		},
		Want: []finding{{"secret/unencrypted", stg + "services/cert-manager/ca-secret.yaml", "stringData"}},
	},
	{
		Name: "age private key in a file",
		Edits: []edit{add("age.agekey", `# created: 2026-01-12T10:00:00Z
# public key: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX
`)},
		Want: []finding{{"secret/private-key", "age.agekey", "AGE-SECRET-KEY-"}},
	},
	{
		Name:  "CHANGEME left in a value",
		Edits: []edit{sub(prod+"services/kube-prometheus-stack/helm-values/override-values.yaml", "grafana:\n", "grafana:\n  adminPassword: CHANGEME\n")},
		Want:  []finding{{"secret/placeholder", prod + "services/kube-prometheus-stack/helm-values/override-values.yaml", "CHANGEME"}},
	},
	{
		Name:  "spec.pth typo",
		Edits: []edit{sub(stg+"services/fluxcd/kube-prometheus-stack.yaml", "  path: ./applications", "  pth: ./applications")},
		Want:  []finding{{"schema/unknown-field", stg + "services/fluxcd/kube-prometheus-stack.yaml", "pth:"}},
	},
	{
		Name:  `replicas: "two" in an overlay patch`,
		Edits: []edit{sub(prod+"services/gateway-api/kustomization.yaml", "        replicas: 3\n", "        replicas: \"two\"\n")},
		Want:  []finding{{"schema/invalid", prod + "services/gateway-api/kustomization.yaml", `replicas: "two"`}},
	},
	{
		Name:  `containerPort: "http" in an overlay Deployment`,
		Edits: []edit{sub(dev+"services/gateway-api/echo.yaml", "containerPort: 8080", `containerPort: "http"`)},
		Want:  []finding{{"schema/invalid", dev + "services/gateway-api/echo.yaml", `containerPort: "http"`}},
	},
	{
		Name:  "patch targeting nothing",
		Edits: []edit{sub(stg+"services/gateway-api/kustomization.yaml", "        name: echo\n", "        name: echo-server\n")},
		Want:  []finding{{"kustomize/build", stg + "services/gateway-api/kustomization.yaml", "patch: |-"}},
	},
	{
		Name:  "Flux path with helm-values and no kustomization",
		Edits: []edit{del(prod + "services/kube-prometheus-stack/kustomization.yaml")},
		Want:  []finding{{"flux/path-no-kustomization", prod + "services/fluxcd/kube-prometheus-stack.yaml", "path: ./applications"}},
	},
	{
		Name:  "staging pinned newer than dev",
		Edits: []edit{sub(stg+"services/sources/opencenter-cert-manager.yaml", `tag: "2026.01"`, `tag: "2026.02"`)},
		Want:  []finding{{"tag/order", stg + "services/sources/opencenter-cert-manager.yaml", "2026.02"}},
	},
	{
		Name:  "one service pinned at another tag",
		Edits: []edit{sub(dev+"services/sources/opencenter-gateway-api.yaml", `tag: "2026.01"`, `tag: "2026.02"`)},
		Want:  []finding{{"tag/mixed", dev + "services/sources/opencenter-gateway-api.yaml", "2026.02"}},
	},
	{
		Name: "overlay file nobody references",
		Edits: []edit{add(dev+"services/cert-manager/certificate.yaml", `apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: echo-tls
spec:
  secretName: echo-tls
  dnsNames:
    - echo.dev.example.com
  issuerRef:
    kind: ClusterIssuer
    name: selfsigned
`)},
		Want: []finding{{"kustomize/unused-file", dev + "services/cert-manager/certificate.yaml", ""}},
	},
	{
		Name: "service in prod but not in staging",
		Edits: []edit{
			sub(stg+"services/fluxcd/kustomization.yaml", "  - ./kube-prometheus-stack.yaml\n", ""),
			del(stg + "services/fluxcd/kube-prometheus-stack.yaml"),
			sub(stg+"services/sources/kustomization.yaml", "  - ./opencenter-kube-prometheus-stack.yaml\n", ""),
			del(stg + "services/sources/opencenter-kube-prometheus-stack.yaml"),
			del(stg + "services/kube-prometheus-stack/kustomization.yaml"),
			del(stg + "services/kube-prometheus-stack/blackbox-exporter.yaml"),
			del(stg + "services/kube-prometheus-stack/helm-values/override-values.yaml"),
		},
		Want: []finding{{"promotion/skipped-env", prod + "services/fluxcd/kube-prometheus-stack.yaml", "name: kube-prometheus-stack-base"}},
	},
	{
		Name:  "override path typo",
		Edits: []edit{sub(dev+"services/fluxcd/cert-manager.yaml", "./applications/overlays/dev-cluster/services/cert-manager", "./applications/overlays/dev-cluster/services/cert-manger")},
		Want:  []finding{{"flux/path-not-found", dev + "services/fluxcd/cert-manager.yaml", "cert-manger"}},
	},
	{
		Name:  "sourceRef name typo",
		Edits: []edit{sub(stg+"services/fluxcd/gateway-api.yaml", "name: opencenter-gateway-api", "name: opencenter-gateway")},
		Want:  []finding{{"flux/source-not-found", stg + "services/fluxcd/gateway-api.yaml", "name: opencenter-gateway\n"}},
	},
	{
		Name:  "base tag bumped across a moved path",
		Edits: []edit{sub(prod+"services/sources/opencenter-kube-prometheus-stack.yaml", `tag: "2026.01"`, `tag: "2026.02"`)},
		Want: []finding{
			{"flux/path-not-found", prod + "services/fluxcd/kube-prometheus-stack.yaml", "path: applications/base"},
			{"tag/order", prod + "services/sources/opencenter-kube-prometheus-stack.yaml", "2026.02"},
		},
	},
	{
		Name:  "resources entry typo",
		Edits: []edit{sub(dev+"services/cert-manager/kustomization.yaml", "./cluster-issuer.yaml", "./cluster-isuer.yaml")},
		Want:  []finding{{"kustomize/missing-file", dev + "services/cert-manager/kustomization.yaml", "./cluster-isuer.yaml"}},
	},
	{
		Name:  "generator file typo",
		Edits: []edit{sub(stg+"services/gateway-api/kustomization.yaml", "helm-values/override-values.yaml", "helm-values/override-value.yaml")},
		Want:  []finding{{"kustomize/missing-file", stg + "services/gateway-api/kustomization.yaml", "override-value.yaml"}},
	},
	{
		Name:  "sources Kustomization not listed",
		Edits: []edit{sub(prod+"services/fluxcd/kustomization.yaml", "  - ./sources.yaml\n", "")},
		Want:  []finding{{"flux/not-applied", prod + "services/fluxcd/sources.yaml", "name: sources"}},
	},
	{
		Name:  "deprecated patchesStrategicMerge",
		Edits: []edit{sub(dev+"services/gateway-api/kustomization.yaml", "patches:\n  - patch: |-", "patchesStrategicMerge:\n  - |-")},
		Want:  []finding{{"kustomize/deprecated-field", dev + "services/gateway-api/kustomization.yaml", "patchesStrategicMerge"}},
	},
	{
		Name:  "remote resource in an overlay",
		Edits: []edit{sub(prod+"services/cert-manager/kustomization.yaml", "  - ./cluster-issuer.yaml\n", "  - ./cluster-issuer.yaml\n  - https://github.com/cert-manager/cert-manager/releases/download/v1.17.2/cert-manager.crds.yaml\n")},
		Want:  []finding{{"kustomize/remote-resource", prod + "services/cert-manager/kustomization.yaml", "https://"}},
	},
	{
		Name: "SOPS secret without decryption",
		Edits: []edit{
			add(dev+"services/cert-manager/ca-secret.yaml", `apiVersion: v1
kind: Secret
metadata:
  name: internal-ca
type: Opaque
stringData:
  password: ENC[AES256_GCM,data:3q2+7w==,iv:AAAA,tag:BBBB,type:str]
sops:
  age:
    - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
      enc: |
        -----BEGIN AGE ENCRYPTED FILE-----
        YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBhYmNk
        -----END AGE ENCRYPTED FILE-----
  lastmodified: "2026-01-12T10:00:00Z"
  mac: ENC[AES256_GCM,data:abcd,iv:AAAA,tag:BBBB,type:str]
  version: 3.9.0
`),
			sub(dev+"services/cert-manager/kustomization.yaml", "  - ./cluster-issuer.yaml\n", "  - ./cluster-issuer.yaml\n  - ./ca-secret.yaml\n"),
		},
		Want: []finding{{"flux/decryption-missing", dev + "services/fluxcd/cert-manager.yaml", "path: ./applications"}},
	},
	{
		Name:  "values file deleted",
		Edits: []edit{del(prod + "services/cert-manager/helm-values/override-values.yaml")},
		Want:  []finding{{"kustomize/missing-file", prod + "services/cert-manager/kustomization.yaml", "override.yaml="}},
	},
	{
		Name:  "whole overlay folder deleted",
		Edits: []edit{del(stg + "services/gateway-api/kustomization.yaml"), del(stg + "services/gateway-api/echo.yaml"), del(stg + "services/gateway-api/helm-values/override-values.yaml")},
		Want:  []finding{{"flux/path-not-found", stg + "services/fluxcd/gateway-api.yaml", "path: ./applications"}},
	},
	{
		Name: "staging bumped to a new base tag ahead of dev",
		Edits: []edit{
			sub(stg+"services/sources/opencenter-cert-manager.yaml", `tag: "2026.01"`, `tag: "2026.02"`),
			sub(stg+"services/sources/opencenter-gateway-api.yaml", `tag: "2026.01"`, `tag: "2026.02"`),
			sub(stg+"services/sources/opencenter-kube-prometheus-stack.yaml", `tag: "2026.01"`, `tag: "2026.02"`),
		},
		Want: []finding{
			{"tag/order", stg + "services/sources/opencenter-cert-manager.yaml", "2026.02"},
			{"tag/order", stg + "services/sources/opencenter-gateway-api.yaml", "2026.02"},
			{"tag/order", stg + "services/sources/opencenter-kube-prometheus-stack.yaml", "2026.02"},
			{"flux/path-not-found", stg + "services/fluxcd/kube-prometheus-stack.yaml", "path: applications/base"},
		},
	},
	{
		Name:  "broken YAML in a source file",
		Edits: []edit{sub(dev+"services/sources/opencenter-gateway-api.yaml", "  ref:\n    tag:", "  ref:\n\ttag:")},
		Want:  []finding{{"yaml/syntax", dev + "services/sources/opencenter-gateway-api.yaml", "\ttag:"}},
	},
	{
		Name:  "broken YAML in an overlay kustomization",
		Edits: []edit{sub(prod+"services/cert-manager/kustomization.yaml", "resources:\n  - ./cluster-issuer.yaml", "resources:\n  - ./cluster-issuer.yaml\n - ./extra.yaml")},
		Want:  []finding{{"yaml/syntax", prod + "services/cert-manager/kustomization.yaml", " - ./extra.yaml"}},
	},
	{
		Name:  "targetNamespace typo on the override",
		Edits: []edit{sub(dev+"services/fluxcd/kube-prometheus-stack.yaml", "  targetNamespace: observability\n  prune: true\n", "  targetNamespace: observabilty\n  prune: true\n")},
		Want:  []finding{{"values/override-not-consumed", dev + "services/kube-prometheus-stack/kustomization.yaml", "name: kube-prometheus-stack-values-override"}},
		Left: "the base's HelmRepository now lands in the misspelt namespace, so the overlay's HelmRelease also reports flux/source-not-found; " +
			"both are symptoms of the targetNamespace line, which no rule checks",
	},
	{
		Name:  "HelmRelease without a chart",
		Edits: []edit{sub(prod+"services/kube-prometheus-stack/blackbox-exporter.yaml", "  chart:\n    spec:\n      chart: prometheus-blackbox-exporter\n      version: 9.1.0\n      sourceRef:\n        kind: HelmRepository\n        name: prometheus-community\n", "")},
		Want:  []finding{{"flux/helmrelease-chart", prod + "services/kube-prometheus-stack/blackbox-exporter.yaml", "spec:"}},
	},
	{
		Name:  "resource listed twice",
		Edits: []edit{sub(stg+"services/cert-manager/kustomization.yaml", "  - ./cluster-issuer.yaml\n", "  - ./cluster-issuer.yaml\n  - ./cluster-issuer.yaml\n")},
		Want:  []finding{{"kustomize/build", stg + "services/cert-manager/kustomization.yaml", "  - ./cluster-issuer.yaml\n  - ./cluster-issuer.yaml"}},
	},
	{
		Name:  "dependsOn cycle across files",
		Edits: []edit{sub(dev+"services/fluxcd/sources.yaml", "spec:\n", "spec:\n  dependsOn:\n    - name: cert-manager-override\n")},
		Want: []finding{
			{"flux/dependson-cycle", dev + "services/fluxcd/sources.yaml", "- name: cert-manager-override"},
			{"flux/dependson-cycle", dev + "services/fluxcd/cert-manager.yaml", "- name: sources"},
			{"flux/dependson-cycle", dev + "services/fluxcd/cert-manager.yaml", "- name: cert-manager-base"},
		},
	},
}

// key identifies a finding across two runs.
type key struct {
	Rule, File string
	Line       int
	Message    string
}

func keyOf(d diag.Diagnostic) key {
	return key{d.Rule, d.File, d.Range.Start.Line, d.Message}
}

func analyseMap(t *testing.T, fsys fstest.MapFS, res *gitsrc.Resolver) []diag.Diagnostic {
	t.Helper()
	r, err := analysis.Analyze(context.Background(), analysis.Options{FS: fsys, Sources: res})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range r.Errors {
		t.Errorf("internal error: %v", e)
	}
	return r.Diagnostics
}

func applyEdits(t *testing.T, clean fstest.MapFS, edits []edit) fstest.MapFS {
	t.Helper()
	fsys := maps.Clone(clean)
	for _, e := range edits {
		f, exists := fsys[e.File]
		switch {
		case e.Delete:
			if !exists {
				t.Fatalf("delete %s: no such file", e.File)
			}
			delete(fsys, e.File)
		case e.Old == "":
			if exists {
				t.Fatalf("add %s: file exists", e.File)
			}
			fsys[e.File] = &fstest.MapFile{Data: []byte(e.New)}
		default:
			if !exists || !strings.Contains(string(f.Data), e.Old) {
				t.Fatalf("edit %s: %q not found", e.File, e.Old)
			}
			fsys[e.File] = &fstest.MapFile{Data: []byte(strings.Replace(string(f.Data), e.Old, e.New, 1))}
		}
	}
	return fsys
}

// lineOf is the 1-based line of the first occurrence of at in file.
func lineOf(t *testing.T, fsys fstest.MapFS, file, at string) int {
	t.Helper()
	if at == "" {
		return 1
	}
	f, ok := fsys[file]
	if !ok {
		t.Fatalf("expected finding in %s: no such file in the mutated repository", file)
	}
	i := strings.Index(string(f.Data), at)
	if i < 0 {
		t.Fatalf("expected finding in %s at %q: text not found", file, at)
	}
	return strings.Count(string(f.Data[:i]), "\n") + 1
}

func TestMutations(t *testing.T) {
	runMutations(t, "../../testdata/mutation/base.txtar", mutations)
}

// runMutations checks that the repository of fixture is clean, then applies
// each mutation to it and compares the findings it adds with its Want.
func runMutations(t *testing.T, fixture string, mutations []mutation) {
	clean, res, _, _ := loadFixture(t, fixture)
	before := analyseMap(t, clean, res)
	seen := map[key]bool{}
	for _, d := range before {
		seen[keyOf(d)] = true
		if d.Severity != diag.Info {
			t.Errorf("the unmutated repository must be clean: %s:%d:%d: %s: %s [%s]", d.File, d.Range.Start.Line, d.Range.Start.Col, d.Severity, d.Message, d.Rule)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	names := map[string]bool{}
	for _, m := range mutations {
		if names[m.Name] {
			t.Fatalf("duplicate mutation name %q", m.Name)
		}
		names[m.Name] = true
		t.Run(m.Name, func(t *testing.T) {
			fsys := applyEdits(t, clean, m.Edits)
			type loc struct {
				Rule, File string
				Line       int
			}
			wanted := map[loc]bool{}
			for _, w := range m.Want {
				wanted[loc{w.Rule, w.File, lineOf(t, fsys, w.File, w.At)}] = true
			}
			accepted := map[loc]bool{}
			for _, w := range m.Accept {
				accepted[loc{w.Rule, w.File, lineOf(t, fsys, w.File, w.At)}] = true
			}
			found := map[loc]bool{}
			var extra, ignored []string
			for _, d := range analyseMap(t, fsys, res) {
				if seen[keyOf(d)] {
					continue
				}
				l := loc{d.Rule, d.File, d.Range.Start.Line}
				line := fmt.Sprintf("%s:%d:%d: %s: %s [%s]", d.File, d.Range.Start.Line, d.Range.Start.Col, d.Severity, d.Message, d.Rule)
				switch {
				case wanted[l] || accepted[l]:
					found[l] = true
				case d.Severity == diag.Info && ignoredInfo[d.Rule]:
					ignored = append(ignored, line)
				default:
					extra = append(extra, line)
				}
			}
			var missing []string
			for _, w := range m.Want {
				l := loc{w.Rule, w.File, lineOf(t, fsys, w.File, w.At)}
				if !found[l] {
					missing = append(missing, fmt.Sprintf("%s:%d: %s", l.File, l.Line, l.Rule))
				}
			}
			if m.Left != "" && len(extra) > 0 {
				t.Logf("known cascade (%s):\n  %s", m.Left, strings.Join(extra, "\n  "))
				extra = nil
			}
			if len(missing) > 0 || len(extra) > 0 {
				var b strings.Builder
				fmt.Fprintf(&b, "mutation %q:\n", m.Name)
				for _, s := range missing {
					fmt.Fprintf(&b, "  - want, not reported: %s\n", s)
				}
				for _, s := range extra {
					fmt.Fprintf(&b, "  + reported, not expected: %s\n", s)
				}
				slices.Sort(ignored)
				for _, s := range ignored {
					fmt.Fprintf(&b, "    (ignored info: %s)\n", s)
				}
				t.Error(b.String())
			}
		})
	}
}

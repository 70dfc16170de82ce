package analysis_test

import "testing"

// The plain Flux monorepo layout of the Flux examples: clusters/<cluster>
// holds flux-system and the Flux Kustomizations (no kustomization.yaml, so
// Flux applies every YAML there), infrastructure/ and apps/ hold what they
// point at, apps/<env> patches apps/base.

const (
	cStg  = "clusters/staging/"
	cProd = "clusters/production/"
	aStg  = "apps/staging/"
	aProd = "apps/production/"
	aBase = "apps/base/podinfo/"
	ctrl  = "infrastructure/controllers/"
	cfgs  = "infrastructure/configs/"
)

var monorepoMutations = []mutation{
	{
		Name:  "nested HelmRelease field typo",
		Edits: []edit{sub(aBase+"release.yaml", "  test:\n    enable: true\n", "  test:\n    enabled: true\n")},
		Want:  []finding{{"schema/unknown-field", aBase + "release.yaml", "enabled: true\n  valuesFrom"}},
	},
	{
		Name:  "nested remediation field typo",
		Edits: []edit{sub(aBase+"release.yaml", "      retries: 3\n", "      retry: 3\n")},
		Want:  []finding{{"schema/unknown-field", aBase + "release.yaml", "retry: 3"}},
	},
	{
		Name:  "kustomization patch target name typo",
		Edits: []edit{sub(aProd+"kustomization.yaml", "      kind: HelmRelease\n      name: podinfo\n", "      kind: HelmRelease\n      name: podinf\n")},
		Want:  []finding{{"kustomize/patch-no-match", aProd + "kustomization.yaml", "target:"}},
	},
	{
		Name:  "Flux spec.patches target name typo",
		Edits: []edit{sub(cStg+"infrastructure.yaml", "        kind: ClusterIssuer\n        name: letsencrypt\n", "        kind: ClusterIssuer\n        name: letsencript\n")},
		Want:  []finding{{"kustomize/patch-no-match", cStg + "infrastructure.yaml", "target:"}},
	},
	{
		Name:  "Flux Kustomization path typo",
		Edits: []edit{sub(cStg+"apps.yaml", "path: ./apps/staging", "path: ./apps/stagin")},
		Want:  []finding{{"flux/path-not-found", cStg + "apps.yaml", "./apps/stagin"}},
	},
	{
		Name:  "dependsOn typo",
		Edits: []edit{sub(cProd+"apps.yaml", "- name: infra-configs", "- name: infra-config")},
		Want:  []finding{{"flux/dependson-not-found", cProd + "apps.yaml", "- name: infra-config"}},
	},
	{
		Name:  "dependsOn cycle",
		Edits: []edit{sub(cProd+"infrastructure.yaml", "spec:\n  interval: 1h\n", "spec:\n  dependsOn:\n    - name: apps\n  interval: 1h\n")},
		Want: []finding{
			{"flux/dependson-cycle", cProd + "infrastructure.yaml", "- name: apps"},
			{"flux/dependson-cycle", cProd + "infrastructure.yaml", "- name: infra-controllers"},
			{"flux/dependson-cycle", cProd + "apps.yaml", "- name: infra-configs"},
		},
	},
	{
		Name:  "HelmRelease sourceRef name typo",
		Edits: []edit{sub(aBase+"release.yaml", "        kind: HelmRepository\n        name: podinfo\n", "        kind: HelmRepository\n        name: podinf\n")},
		Want:  []finding{{"flux/source-not-found", aBase + "release.yaml", "name: podinf\n"}},
	},
	{
		Name:  "HelmRelease sourceRef namespace typo",
		Edits: []edit{sub(ctrl+"cert-manager.yaml", "        namespace: cert-manager\n", "        namespace: cert-manger\n")},
		Want:  []finding{{"flux/source-not-found", ctrl + "cert-manager.yaml", "namespace: cert-manger"}},
	},
	{
		Name:  "chartRef kind typo",
		Edits: []edit{sub(ctrl+"ingress-nginx.yaml", "  chartRef:\n    kind: OCIRepository\n", "  chartRef:\n    kind: OCIRepo\n")},
		Want:  []finding{{"schema/invalid", ctrl + "ingress-nginx.yaml", "kind: OCIRepo\n"}},
	},
	{
		Name:  "chart sourceRef kind typo",
		Edits: []edit{sub(ctrl+"cert-manager.yaml", "        kind: HelmRepository\n", "        kind: HelmRepo\n")},
		Want:  []finding{{"schema/invalid", ctrl + "cert-manager.yaml", "kind: HelmRepo\n"}},
	},
	{
		Name:  "removed apiVersion helm v2beta1",
		Edits: []edit{sub(aBase+"release.yaml", "helm.toolkit.fluxcd.io/v2\n", "helm.toolkit.fluxcd.io/v2beta1\n")},
		Want:  []finding{{"flux/api-removed", aBase + "release.yaml", "v2beta1"}},
	},
	{
		Name:  "removed apiVersion source v1beta2",
		Edits: []edit{sub(ctrl+"ingress-nginx.yaml", "source.toolkit.fluxcd.io/v1\n", "source.toolkit.fluxcd.io/v1beta2\n")},
		Want:  []finding{{"flux/api-removed", ctrl + "ingress-nginx.yaml", "v1beta2"}},
	},
	{
		Name:  "removed apiVersion kustomize v1beta2 in a cluster folder",
		Edits: []edit{sub(cStg+"infrastructure.yaml", "kustomize.toolkit.fluxcd.io/v1\n", "kustomize.toolkit.fluxcd.io/v1beta2\n")},
		Want:  []finding{{"flux/api-removed", cStg + "infrastructure.yaml", "v1beta2"}},
	},
	{
		Name:  "patch file names another HelmRelease",
		Edits: []edit{sub(aStg+"podinfo-patch.yaml", "  name: podinfo\n", "  name: podinfo-app\n")},
		Want:  []finding{{"kustomize/build", aStg + "kustomization.yaml", "- path: podinfo-patch.yaml"}},
	},
	{
		Name:  "patch file path typo",
		Edits: []edit{sub(aProd+"kustomization.yaml", "- path: podinfo-patch.yaml", "- path: podinfo-patches.yaml")},
		Want:  []finding{{"kustomize/missing-file", aProd + "kustomization.yaml", "podinfo-patches.yaml"}},
	},
	{
		Name:  "HelmRelease field typo",
		Edits: []edit{sub(aBase+"release.yaml", "  releaseName: podinfo\n", "  releseName: podinfo\n")},
		Want:  []finding{{"schema/unknown-field", aBase + "release.yaml", "releseName"}},
	},
	{
		Name:  "interval with a space",
		Edits: []edit{sub(aBase+"repository.yaml", "interval: 5m", "interval: 5 m")},
		Want:  []finding{{"schema/invalid", aBase + "repository.yaml", "interval: 5 m"}},
	},
	{
		Name:  "resources entry for a deleted file",
		Edits: []edit{del(ctrl + "ingress-nginx.yaml")},
		Want:  []finding{{"kustomize/missing-file", ctrl + "kustomization.yaml", "- ingress-nginx.yaml"}},
	},
	{
		Name:  "resources entry typo",
		Edits: []edit{sub(aBase+"kustomization.yaml", "- repository.yaml", "- repositroy.yaml")},
		Want:  []finding{{"kustomize/missing-file", aBase + "kustomization.yaml", "- repositroy.yaml"}},
	},
	{
		Name:  "values ConfigMap renamed",
		Edits: []edit{sub(aProd+"kustomization.yaml", "- name: podinfo-values", "- name: podinfo-helm-values")},
		Want:  []finding{{"values/override-not-consumed", aProd + "kustomization.yaml", "podinfo-helm-values"}},
	},
	{
		Name:  "values key renamed",
		Edits: []edit{sub(aStg+"kustomization.yaml", "- values.yaml=podinfo-values.yaml", "- podinfo-values.yaml")},
		Want:  []finding{{"values/override-not-consumed", aStg + "kustomization.yaml", "- podinfo-values.yaml"}},
	},
	{
		Name:  "generator without disableNameSuffixHash",
		Edits: []edit{sub(aStg+"kustomization.yaml", "    options:\n      disableNameSuffixHash: true\n", "")},
		Want:  []finding{{"values/hash-suffix", aStg + "kustomization.yaml", "podinfo-values"}},
	},
	{
		Name:  "values file typo in the generator",
		Edits: []edit{sub(aProd+"kustomization.yaml", "values.yaml=podinfo-values.yaml", "values.yaml=podinfo-value.yaml")},
		Want:  []finding{{"kustomize/missing-file", aProd + "kustomization.yaml", "podinfo-value.yaml"}},
	},
	{
		Name: "new Flux Kustomization in a cluster folder without kustomization.yaml",
		Edits: []edit{
			add(cStg+"monitoring.yaml", `---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: monitoring
  namespace: flux-system
spec:
  dependsOn:
    - name: infra-controllers
  interval: 1h
  sourceRef:
    kind: GitRepository
    name: flux-system
  path: ./infrastructure/monitoring
  prune: true
`),
			add("infrastructure/monitoring/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - namespace.yaml\n"),
			add("infrastructure/monitoring/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: monitoring\n"),
		},
	},
	{
		Name:  "production applies the staging apps",
		Edits: []edit{sub(cProd+"apps.yaml", "path: ./apps/production", "path: ./apps/staging")},
	},
	{
		Name:  "suspend left behind",
		Edits: []edit{sub(cProd+"infrastructure.yaml", "  path: ./infrastructure/controllers\n  prune: true\n", "  path: ./infrastructure/controllers\n  prune: true\n  suspend: true\n")},
		Want:  []finding{{"flux/suspended", cProd + "infrastructure.yaml", "suspend: true"}},
	},
	{
		Name: "plain Secret committed",
		Edits: []edit{
			add(aStg+"podinfo-auth.yaml", `apiVersion: v1
kind: Secret
metadata:
  name: podinfo-auth
  namespace: podinfo
type: Opaque
stringData:
  password: Wq9r2xTz7LbN
`),
			sub(aStg+"kustomization.yaml", "  - ../base/podinfo\n", "  - ../base/podinfo\n  - podinfo-auth.yaml\n"),
		},
		Want: []finding{{"secret/unencrypted", aStg + "podinfo-auth.yaml", "stringData"}},
	},
	{
		Name:  "duplicate key",
		Edits: []edit{sub(cStg+"apps.yaml", "  wait: true\n", "  wait: true\n  interval: 30m\n")},
		Want:  []finding{{"yaml/duplicate-key", cStg + "apps.yaml", "interval: 30m"}},
	},
	{
		Name:  "broken indentation in a cluster Kustomization",
		Edits: []edit{sub(cProd+"infrastructure.yaml", "  path: ./infrastructure/configs\n", "   path: ./infrastructure/configs\n")},
		Want:  []finding{{"yaml/syntax", cProd + "infrastructure.yaml", "   path: ./infrastructure/configs"}},
	},
	{
		Name:  "broken indentation in values",
		Edits: []edit{sub(aProd+"podinfo-values.yaml", "  className: nginx\n", "   className: nginx\n")},
		Want:  []finding{{"yaml/syntax", aProd + "podinfo-values.yaml", "   className"}},
	},
	{
		Name:  "broken YAML in a base HelmRelease",
		Edits: []edit{sub(aBase+"release.yaml", "  values:\n    redis:", "  values:\n\tredis:")},
		Want:  []finding{{"yaml/syntax", aBase + "release.yaml", "\tredis:"}},
	},
	{
		Name:  "HelmRelease with neither chart nor chartRef",
		Edits: []edit{sub(ctrl+"ingress-nginx.yaml", "  chartRef:\n    kind: OCIRepository\n    name: ingress-nginx\n", "")},
		Want:  []finding{{"flux/helmrelease-chart", ctrl + "ingress-nginx.yaml", "spec:\n  interval: 30m"}},
	},
	{
		Name:  "Flux Kustomization field typo",
		Edits: []edit{sub(cStg+"apps.yaml", "  retryInterval: 1m\n", "  retryIntreval: 1m\n")},
		Want:  []finding{{"schema/unknown-field", cStg + "apps.yaml", "retryIntreval"}},
	},
	{
		Name:  "Flux Kustomization sourceRef typo",
		Edits: []edit{sub(cProd+"apps.yaml", "    name: flux-system\n", "    name: flux-sytem\n")},
		Want:  []finding{{"flux/source-not-found", cProd + "apps.yaml", "name: flux-sytem"}},
	},
}

func TestMutationsFluxMonorepo(t *testing.T) {
	runMutations(t, "../../testdata/mutation/flux-monorepo.txtar", monorepoMutations)
}

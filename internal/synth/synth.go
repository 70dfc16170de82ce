// Package synth generates synthetic openCenter repositories of C clusters
// by S services, with their base repository, for benchmarks.
package synth

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
)

// BaseURL is the URL the generated sources pin.
const BaseURL = "ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git"

// Tags of the generated base, oldest first.
var tags = []string{"2026.01", "2026.02"}

// ClusterNames names C clusters: dev, staging and prod first.
func ClusterNames(c int) []string {
	out := []string{}
	for i := 0; i < c; i++ {
		switch i {
		case 0:
			out = append(out, "dev-cluster")
		case 1:
			out = append(out, "staging-cluster")
		case 2:
			out = append(out, "prod-cluster")
		default:
			out = append(out, fmt.Sprintf("edge-%02d-cluster", i))
		}
	}
	return out
}

// Generate writes DIR/repo (the customer repository, with a .gitops.yaml
// mirroring the base) and DIR/base.git (the base, tagged).
func Generate(dir string, clusters, services int) error {
	var snaps []testrepo.Snapshot
	for ti, tag := range tags {
		files := map[string][]byte{}
		for s := 0; s < services; s++ {
			baseService(files, svcName(s), ti)
		}
		snaps = append(snaps, testrepo.Snapshot{Tag: tag, Files: files})
	}
	if err := testrepo.Build(filepath.Join(dir, "base.git"), snaps); err != nil {
		return err
	}
	repo := filepath.Join(dir, "repo")
	if err := os.RemoveAll(repo); err != nil {
		return err
	}
	files := map[string]string{
		".gitops.yaml": fmt.Sprintf("environments: [dev-cluster, staging-cluster, prod-cluster]\nmirrors:\n  %s: ../base.git\n", BaseURL),
	}
	for ci, c := range ClusterNames(clusters) {
		overlay(files, c, ci, services)
	}
	for p, content := range files {
		full := filepath.Join(repo, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			return fmt.Errorf("%s: %w", full, err)
		}
	}
	return nil
}

func svcName(i int) string { return fmt.Sprintf("svc-%03d", i) }

func baseService(files map[string][]byte, svc string, version int) {
	d := "applications/base/services/" + svc + "/"
	files[d+"kustomization.yaml"] = []byte(fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - namespace.yaml
  - source.yaml
  - helmrelease.yaml
secretGenerator:
  - name: %[1]s-values-base
    namespace: %[1]s
    files:
      - values.yaml=helm-values/values.yaml
    options:
      disableNameSuffixHash: true
`, svc))
	files[d+"namespace.yaml"] = []byte(fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", svc))
	files[d+"source.yaml"] = []byte(fmt.Sprintf(`apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: %[1]s
  namespace: %[1]s
spec:
  interval: 1h
  url: https://charts.example.com/%[1]s
`, svc))
	files[d+"helmrelease.yaml"] = []byte(fmt.Sprintf(`apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: %[1]s
  namespace: %[1]s
spec:
  interval: 10m
  chart:
    spec:
      chart: %[1]s
      version: "1.%[2]d.0"
      sourceRef:
        kind: HelmRepository
        name: %[1]s
  valuesFrom:
    - kind: Secret
      name: %[1]s-values-base
      valuesKey: values.yaml
    - kind: Secret
      name: %[1]s-values-override
      valuesKey: override.yaml
      optional: true
`, svc, version))
	files[d+"helm-values/values.yaml"] = []byte(fmt.Sprintf("replicaCount: 1\nimage:\n  tag: \"1.%d.0\"\n", version))
}

func overlay(files map[string]string, cluster string, ci, services int) {
	root := "applications/overlays/" + cluster + "/"
	tag := tags[len(tags)-1]
	if ci > 0 {
		tag = tags[0] // later environments run behind dev
	}
	files[root+"kustomization.yaml"] = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./flux-system\n  - ./services/fluxcd\n"
	files[root+"flux-system/kustomization.yaml"] = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-sync.yaml\n"
	files[root+"flux-system/gotk-sync.yaml"] = fmt.Sprintf(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m0s
  ref:
    branch: main
  url: ssh://git@github.com/example-customer/gitops.git
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m0s
  path: ./applications/overlays/%s
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
`, cluster)
	var fluxRes, srcRes strings.Builder
	fluxRes.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./sources.yaml\n")
	srcRes.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: flux-system\nresources:\n")
	files[root+"services/fluxcd/sources.yaml"] = fmt.Sprintf(`apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: sources
  namespace: flux-system
spec:
  interval: 15m
  path: ./applications/overlays/%s/services/sources
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
`, cluster)
	for s := 0; s < services; s++ {
		svc := svcName(s)
		fmt.Fprintf(&fluxRes, "  - ./%s.yaml\n", svc)
		fmt.Fprintf(&srcRes, "  - ./opencenter-%s.yaml\n", svc)
		files[root+"services/sources/opencenter-"+svc+".yaml"] = fmt.Sprintf(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: opencenter-%s
  namespace: flux-system
spec:
  interval: 10m
  url: %s
  ref:
    tag: "%s"
`, svc, BaseURL, tag)
		files[root+"services/fluxcd/"+svc+".yaml"] = fmt.Sprintf(`apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: %[1]s-base
  namespace: flux-system
spec:
  dependsOn:
    - name: sources
  interval: 15m
  sourceRef:
    kind: GitRepository
    name: opencenter-%[1]s
  path: applications/base/services/%[1]s
  targetNamespace: %[1]s
  prune: true
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: %[1]s-override
  namespace: flux-system
spec:
  dependsOn:
    - name: %[1]s-base
  interval: 15m
  sourceRef:
    kind: GitRepository
    name: flux-system
  path: ./applications/overlays/%[2]s/services/%[1]s
  targetNamespace: %[1]s
  prune: true
`, svc, cluster)
		files[root+"services/"+svc+"/kustomization.yaml"] = fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ./configmap.yaml
secretGenerator:
  - name: %s-values-override
    type: Opaque
    files:
      - override.yaml=helm-values/override-values.yaml
    options:
      disableNameSuffixHash: true
`, svc)
		files[root+"services/"+svc+"/configmap.yaml"] = fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s-settings\ndata:\n  cluster: %s\n", svc, cluster)
		files[root+"services/"+svc+"/helm-values/override-values.yaml"] = fmt.Sprintf("replicaCount: %d\nresources:\n  limits:\n    memory: 256Mi\n", ci+1)
	}
	files[root+"services/fluxcd/kustomization.yaml"] = fluxRes.String()
	files[root+"services/sources/kustomization.yaml"] = srcRes.String()
}

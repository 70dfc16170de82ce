// Package hostilerepo generates Flux repositories holding hostile input
// (alias bombs, huge files, binary and invalid text, link loops, paths
// escaping the repository, cycles) for tests. Nothing large is committed:
// every case is written on demand into a temporary folder.
package hostilerepo

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Fleet is the smallest Flux repository a case needs: cluster dev
// bootstraps from clusters/dev and applies ./apps, whose kustomization
// lists resources.
func Fleet(resources ...string) map[string][]byte {
	var k strings.Builder
	k.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
	for _, r := range resources {
		fmt.Fprintf(&k, "  - %s\n", r)
	}
	return map[string][]byte{
		"clusters/dev/flux-system/gotk-sync.yaml": []byte(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m
  url: ssh://git@github.com/example/fleet.git
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m
  path: ./clusters/dev
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
`),
		"clusters/dev/flux-system/kustomization.yaml": []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-sync.yaml\n"),
		"clusters/dev/apps.yaml": []byte(`apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
`),
		"apps/kustomization.yaml": []byte(k.String()),
		// A finding no hostile file can hide: the rest of the analysis ran.
		"apps/plain-secret.yaml": []byte(PlainSecret),
	}
}

// PlainSecret is a Secret in plain text (secret/unencrypted at line 5).
const PlainSecret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: still-checked\nstringData:\n  password: hunter2\n"

// AliasBomb is a document whose aliases expand to levels^width nodes
// from a few hundred bytes: nine by nine (levels 10) is 435 million.
func AliasBomb(levels, width int) []byte {
	var b bytes.Buffer
	b.WriteString("apiVersion: example.com/v1\nkind: Laughs\nmetadata:\n  name: lol\nspec:\n")
	b.WriteString("  l0: &l0 [" + strings.TrimSuffix(strings.Repeat(`"lol", `, width), ", ") + "]\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), width), ", "))
	}
	return b.Bytes()
}

// WideMapping is a ConfigMap whose data is one flow mapping of n keys on
// one line: key0, key1, ... or, when repeated, the same key n times.
// Decoders compare every key with every other.
func WideMapping(n int, repeated bool) []byte {
	var b bytes.Buffer
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wide\ndata: {")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		if repeated {
			b.WriteString("k: v")
		} else {
			fmt.Fprintf(&b, "k%d: v", i)
		}
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// ConfigMaps is a multi-document file of n ConfigMaps.
func ConfigMaps(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\ndata:\n  key: value-%d\n", i, i)
	}
	return b.Bytes()
}

// Write writes files under dir (slash-separated paths).
func Write(dir string, files map[string][]byte) error {
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Package model turns parsed files into the objects, kustomizations and
// clusters of a Flux repository, and the graph between them.
package model

import (
	"path"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/kinds"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// Object is one Kubernetes object as written in a file.
type Object struct {
	View       *view.View
	File       *yamlfile.File
	Doc        *yamlfile.Doc
	APIVersion string
	Kind       string
	Name       string
	Namespace  string // metadata.namespace as written
}

// Node is the object's root mapping.
func (o *Object) Node() *yaml.Node { return o.Doc.Root }

// Group is the API group of the object ("" for core).
func (o *Object) Group() string {
	if i := strings.Index(o.APIVersion, "/"); i >= 0 {
		return o.APIVersion[:i]
	}
	return ""
}

// IsFlux reports whether the object belongs to a Flux toolkit API group.
func (o *Object) IsFlux() bool {
	return strings.HasSuffix(o.Group(), ".toolkit.fluxcd.io") || strings.HasSuffix(o.Group(), ".extensions.fluxcd.io")
}

// Is reports whether the object is the given Flux kind of the given group
// prefix ("kustomize", "source", "helm").
func (o *Object) Is(groupPrefix, kind string) bool {
	return o.Kind == kind && o.Group() == groupPrefix+".toolkit.fluxcd.io"
}

// IsFluxKustomization distinguishes Flux's Kustomization from kustomize's.
func (o *Object) IsFluxKustomization() bool { return o.Is("kustomize", "Kustomization") }

// SourceKinds are the kinds a sourceRef may name.
var sourceKinds = map[string]bool{
	"GitRepository": true, "OCIRepository": true, "HelmRepository": true,
	"Bucket": true, "HelmChart": true, "ExternalArtifact": true,
}

// IsSource reports whether the object is a Flux source.
func (o *Object) IsSource() bool {
	return sourceKinds[o.Kind] && (o.Group() == "source.toolkit.fluxcd.io")
}

// IsSourceKind reports whether kind names a Flux source kind.
func IsSourceKind(kind string) bool { return sourceKinds[kind] }

// ObjectsOf returns the Kubernetes objects of a parsed file: documents
// that have an apiVersion and a kind. Kustomization files are not objects.
func ObjectsOf(v *view.View, f *yamlfile.File) []*Object {
	if IsKustomizationFile(f.Path) {
		return nil
	}
	var out []*Object
	for _, d := range f.Docs {
		if d.Root.Kind != yaml.MappingNode {
			continue
		}
		av, kind := yamlfile.Str(d.Root, "apiVersion"), yamlfile.Str(d.Root, "kind")
		if av == "" || kind == "" {
			continue
		}
		if strings.HasPrefix(av, "kustomize.config.k8s.io/") {
			continue
		}
		out = append(out, &Object{
			View: v, File: f, Doc: d, APIVersion: av, Kind: kind,
			Name:      yamlfile.Str(d.Root, "metadata", "name"),
			Namespace: yamlfile.Str(d.Root, "metadata", "namespace"),
		})
	}
	return out
}

// KustomizationNames are the file names kustomize looks for, in order.
var KustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// IsKustomizationFile reports whether p is named like a kustomization.
func IsKustomizationFile(p string) bool {
	b := path.Base(p)
	for _, n := range KustomizationNames {
		if b == n {
			return true
		}
	}
	return false
}

// FindKustomization returns the kustomization file of dir in v, or "".
func FindKustomization(v *view.View, dir string) string {
	for _, n := range KustomizationNames {
		p := path.Join(dir, n)
		if ok, isDir := v.Stat(p); ok && !isDir {
			return p
		}
	}
	return ""
}

// IsClusterScoped reports whether kind is known to be cluster-scoped: it
// never takes a namespace from targetNamespace or a kustomization's
// namespace.
func IsClusterScoped(kind string) bool { return kinds.ClusterScoped(kind) }

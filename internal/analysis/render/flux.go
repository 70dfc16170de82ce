package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	"go.yaml.in/yaml/v3"
)

// Selector is a Flux/kustomize patch target.
type Selector struct {
	Group              string `yaml:"group,omitempty"`
	Version            string `yaml:"version,omitempty"`
	Kind               string `yaml:"kind,omitempty"`
	Name               string `yaml:"name,omitempty"`
	Namespace          string `yaml:"namespace,omitempty"`
	LabelSelector      string `yaml:"labelSelector,omitempty"`
	AnnotationSelector string `yaml:"annotationSelector,omitempty"`
}

// Patch is one entry of a Flux Kustomization's spec.patches.
type Patch struct {
	Patch  string    `yaml:"patch"`
	Target *Selector `yaml:"target,omitempty"`
}

// Image is one entry of spec.images.
type Image struct {
	Name    string `yaml:"name"`
	NewName string `yaml:"newName,omitempty"`
	NewTag  string `yaml:"newTag,omitempty"`
	Digest  string `yaml:"digest,omitempty"`
}

// findKustomization returns the FS-relative kustomization file in dir, or "".
func findKustomization(l *lazyFS, dir string) string {
	for _, n := range kustomizationNames() {
		p := path.Join(dir, n)
		if l.Exists(abs(p)) && !l.IsDir(abs(p)) {
			return p
		}
	}
	return ""
}

// generateKustomization mirrors fluxcd/pkg/kustomize: every .yaml/.yml file
// below dir becomes a resource, except that a sub-directory holding its own
// kustomization is added as a directory and not descended into. A file that
// is not Kubernetes YAML fails the generation, as it fails in Flux.
func generateKustomization(l *lazyFS, dir string) ([]byte, error) {
	if err := l.ensureTree(abs(dir)); err != nil {
		return nil, err
	}
	resources, problems, err := scanPlain(l.src, dir, l.limits.MaxFileBytes)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, &FileError{File: problems[0], Err: errors.New("failed to decode Kubernetes YAML: not a Kubernetes object (no apiVersion/kind)")}
	}
	k := map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1beta1",
		"kind":       "Kustomization",
		"resources":  resources,
	}
	return yaml.Marshal(k)
}

// scanPlain walks dir the way Flux's generator does and returns the
// resource entries (relative to dir) and the files that are not Kubernetes
// objects.
func scanPlain(src fs.FS, dir string, maxBytes int64) (resources, problems []string, err error) {
	err = fs.WalkDir(src, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		relp := p[len(dir)+1:]
		if dir == "." {
			relp = p
		}
		if d.IsDir() {
			for _, n := range kustomizationNames() {
				if info, err := fs.Stat(src, path.Join(p, n)); err == nil && !info.IsDir() {
					resources = append(resources, "./"+relp)
					return fs.SkipDir
				}
			}
			return nil
		}
		if ext := path.Ext(p); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		data, err := readCapped(src, p, maxBytes)
		if err != nil {
			return err
		}
		if e := yamlfile.CheckLimits(data); e != nil {
			return &FileError{File: p, Err: e} // decoding it below would expand it, or not finish
		}
		if !isKubernetesYAML(data) {
			problems = append(problems, p)
		}
		resources = append(resources, "./"+relp)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("scanning %s: %w", dir, err)
	}
	return resources, problems, nil
}

// isKubernetesYAML reports whether every non-empty document is a mapping
// with apiVersion and kind.
func isKubernetesYAML(data []byte) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			return false
		}
		if doc == nil {
			continue
		}
		if _, ok := doc["apiVersion"].(string); !ok {
			return false
		}
		if _, ok := doc["kind"].(string); !ok {
			return false
		}
	}
}

// NoKustomizationProblems lists the files that would make Flux fail to
// generate a kustomization for dir (flux/path-no-kustomization): YAML files
// that are not Kubernetes objects, such as helm-values/*.yaml. It returns nil
// when dir has a kustomization file or does not exist.
func NoKustomizationProblems(fsys fs.FS, dir string) ([]string, error) {
	dir = cleanPath(dir)
	if info, err := fs.Stat(fsys, dir); err != nil || !info.IsDir() {
		return nil, nil
	}
	for _, n := range kustomizationNames() {
		if info, err := fs.Stat(fsys, path.Join(dir, n)); err == nil && !info.IsDir() {
			return nil, nil
		}
	}
	_, problems, err := scanPlain(fsys, dir, DefaultLimits().MaxFileBytes)
	return problems, err
}

// applySpec merges the Flux Kustomization spec into the root kustomization
// in place, as kustomize-controller does, and turns on origin annotations so
// every rendered object can be traced to its source file.
func applySpec(data []byte, req Request) ([]byte, error) {
	k := map[string]any{}
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, err
	}
	if k == nil {
		k = map[string]any{}
	}
	k["buildMetadata"] = appendUnique(k["buildMetadata"], "originAnnotations")
	if req.TargetNamespace != "" {
		k["namespace"] = req.TargetNamespace
	}
	if req.NamePrefix != "" {
		k["namePrefix"] = req.NamePrefix
	}
	if req.NameSuffix != "" {
		k["nameSuffix"] = req.NameSuffix
	}
	if len(req.CommonLabels) > 0 {
		labels, _ := k["labels"].([]any)
		k["labels"] = append(labels, map[string]any{"pairs": req.CommonLabels})
	}
	if len(req.CommonAnnotations) > 0 {
		ann, _ := k["commonAnnotations"].(map[string]any)
		if ann == nil {
			ann = map[string]any{}
		}
		for key, v := range req.CommonAnnotations {
			ann[key] = v
		}
		k["commonAnnotations"] = ann
	}
	if len(req.Patches) > 0 {
		patches, _ := k["patches"].([]any)
		for _, p := range req.Patches {
			patches = append(patches, p)
		}
		k["patches"] = patches
	}
	if len(req.Images) > 0 {
		images, _ := k["images"].([]any)
		for _, im := range req.Images {
			images = append(images, im)
		}
		k["images"] = images
	}
	if len(req.Components) > 0 {
		comps, _ := k["components"].([]any)
		for _, c := range req.Components {
			comps = append(comps, c)
		}
		k["components"] = comps
	}
	return yaml.Marshal(k)
}

func appendUnique(list any, s string) []any {
	l, _ := list.([]any)
	for _, v := range l {
		if v == s {
			return l
		}
	}
	return append(l, s)
}

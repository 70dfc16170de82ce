package render

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/kinds"
	"go.yaml.in/yaml/v3"
)

// Most kustomizations of a GitOps repository only list files and generate
// a values Secret, and a repository has thousands of them: building those
// through krusty costs milliseconds each, so they are assembled directly.
// Anything the fast path does not reproduce exactly (patches, components,
// sub-folders, hashed generator names, lists, duplicate objects, files that
// are not objects) goes to kustomize, which also produces the errors.

// fastKeys are the kustomization fields the fast path understands.
var fastKeys = map[string]bool{
	"apiVersion": true, "kind": true, "metadata": true, "namespace": true,
	"resources": true, "secretGenerator": true, "configMapGenerator": true,
	"generatorOptions": true,
}

// errNotSimple sends a build to kustomize.
var errNotSimple = errors.New("not a simple kustomization")

// errTooMany stops a build whose objects exceed the limit before kustomize
// would spend its time on them.
var errTooMany = errors.New("too many objects")

// pendingObject is an object collected from a kustomization tree, before
// the Flux-level transformations.
type pendingObject struct {
	doc         map[string]any
	node        *yaml.Node // as written; nil for generated objects
	ns          string     // namespace set by the kustomizations; "" keeps the object's
	origin      string
	generatedBy string
}

// fastBuild assembles the objects of a simple kustomization tree (data is
// the root kustomization's content, kf its FS-relative path) or returns
// errNotSimple.
func fastBuild(l *lazyFS, dir, kf string, data []byte, req Request, limits Limits) ([]Object, error) {
	// commonAnnotations also reach pod templates: left to kustomize.
	if len(req.Patches) > 0 || len(req.Images) > 0 || len(req.Components) > 0 || req.NamePrefix != "" || req.NameSuffix != "" || len(req.CommonAnnotations) > 0 {
		return nil, errNotSimple
	}
	items, err := collect(l, dir, kf, data, map[string]bool{dir: true}, limits)
	if err != nil {
		return nil, err
	}
	objs := make([]Object, 0, len(items))
	seen := map[string]bool{}
	for _, it := range items {
		ns := it.ns
		if req.TargetNamespace != "" {
			ns = req.TargetNamespace
		}
		o, err := finishObject(it.doc, it.node, ns, req, it.origin, it.generatedBy)
		if err != nil {
			return nil, err
		}
		id := o.APIVersion + "|" + o.Kind + "|" + o.Namespace + "|" + o.Name
		if seen[id] {
			return nil, errNotSimple // kustomize reports the duplicate
		}
		seen[id] = true
		objs = append(objs, o)
	}
	return objs, nil
}

// collect gathers the objects of one kustomization and the kustomizations
// it includes; stack holds the folders being collected, to refuse cycles.
func collect(l *lazyFS, dir, kf string, data []byte, stack map[string]bool, limits Limits) ([]pendingObject, error) {
	if len(stack) > 20 {
		return nil, errNotSimple
	}
	var k map[string]any
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, errNotSimple
	}
	for key := range k {
		if !fastKeys[key] {
			return nil, errNotSimple
		}
	}
	hashOff := false
	if g, ok := k["generatorOptions"]; ok {
		opts, ok := g.(map[string]any)
		if !ok || len(opts) != 1 || opts["disableNameSuffixHash"] != true {
			return nil, errNotSimple
		}
		hashOff = true
	}
	levelNS, _ := k["namespace"].(string)
	var items []pendingObject
	res, _ := k["resources"].([]any)
	if k["resources"] != nil && res == nil {
		return nil, errNotSimple
	}
	for _, e := range res {
		entry, ok := e.(string)
		if !ok || IsRemote(entry) {
			return nil, errNotSimple
		}
		p := cleanPath(path.Join(dir, entry))
		if p == ".." || strings.HasPrefix(p, "../") || !l.Exists(abs(p)) {
			return nil, errNotSimple
		}
		if l.IsDir(abs(p)) {
			sub := findKustomization(l, p)
			if sub == "" || stack[p] {
				return nil, errNotSimple
			}
			subData, err := l.ReadFile(abs(sub))
			if err != nil {
				return nil, errNotSimple
			}
			stack[p] = true
			got, err := collect(l, p, sub, subData, stack, limits)
			delete(stack, p)
			if err != nil {
				return nil, err
			}
			items = append(items, got...)
		} else {
			docs, err := readObjects(l, p)
			if err != nil {
				return nil, errNotSimple
			}
			for _, fo := range docs {
				items = append(items, pendingObject{doc: fo.doc, node: fo.node, origin: p})
			}
		}
		if len(items) > limits.MaxObjects {
			return nil, errTooMany
		}
	}
	for _, gk := range []string{"secretGenerator", "configMapGenerator"} {
		gens, ok := k[gk].([]any)
		if k[gk] != nil && !ok {
			return nil, errNotSimple
		}
		for _, g := range gens {
			doc, err := generate(l, dir, gk == "secretGenerator", g, hashOff)
			if err != nil {
				return nil, err
			}
			gns := ""
			if md, _ := doc["metadata"].(map[string]any); md != nil {
				gns, _ = md["namespace"].(string)
			}
			items = append(items, pendingObject{doc: doc, ns: gns, generatedBy: kf})
		}
	}
	if levelNS != "" {
		// A kustomization's namespace overrides everything below it.
		for i := range items {
			items[i].ns = levelNS
		}
	}
	return items, nil
}

// fileObject is one document of a resource file, decoded, with its node
// kept so that substitution sees the text as written (quotes included).
type fileObject struct {
	doc  map[string]any
	node *yaml.Node
}

// readObjects decodes every document of a resource file; each must be one
// Kubernetes object.
func readObjects(l *lazyFS, p string) ([]fileObject, error) {
	data, err := l.ReadFile(abs(p))
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []fileObject
	for {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var doc map[string]any
		if err := node.Decode(&doc); err != nil {
			return nil, err
		}
		if doc == nil {
			continue
		}
		av, _ := doc["apiVersion"].(string)
		kind, _ := doc["kind"].(string)
		md, _ := doc["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		if av == "" || kind == "" || name == "" || strings.HasSuffix(kind, "List") {
			return nil, errNotSimple
		}
		out = append(out, fileObject{doc, &node})
	}
}

// generate builds the Secret or ConfigMap of one generator entry.
func generate(l *lazyFS, dir string, secret bool, g any, hashOff bool) (map[string]any, error) {
	gen, ok := g.(map[string]any)
	if !ok {
		return nil, errNotSimple
	}
	for key := range gen {
		switch key {
		case "name", "namespace", "type", "files", "literals", "options", "behavior":
		default:
			return nil, errNotSimple
		}
	}
	if b, _ := gen["behavior"].(string); b != "" && b != "create" {
		return nil, errNotSimple
	}
	name, _ := gen["name"].(string)
	if name == "" {
		return nil, errNotSimple
	}
	md := map[string]any{"name": name}
	if opts, ok := gen["options"].(map[string]any); ok {
		for key, v := range opts {
			switch key {
			case "disableNameSuffixHash":
				if v == true {
					hashOff = true
				} else if v == false {
					hashOff = false
				}
			case "labels", "annotations":
				m, ok := v.(map[string]any)
				if !ok {
					return nil, errNotSimple
				}
				md[key] = m
			default:
				return nil, errNotSimple
			}
		}
	} else if gen["options"] != nil {
		return nil, errNotSimple
	}
	if !hashOff {
		return nil, errNotSimple // the content hash is kustomize's to compute
	}
	if ns, _ := gen["namespace"].(string); ns != "" {
		md["namespace"] = ns
	}
	data := map[string]any{}
	binary := map[string]any{}
	put := func(key string, val []byte) {
		switch {
		case secret:
			data[key] = base64.StdEncoding.EncodeToString(val)
		case utf8.Valid(val):
			data[key] = string(val)
		default:
			binary[key] = base64.StdEncoding.EncodeToString(val)
		}
	}
	files, _ := gen["files"].([]any)
	for _, f := range files {
		s, ok := f.(string)
		if !ok {
			return nil, errNotSimple
		}
		key, file, hasKey := strings.Cut(s, "=")
		if !hasKey {
			file, key = s, path.Base(s)
		}
		p := cleanPath(path.Join(dir, strings.TrimSpace(file)))
		if p == ".." || strings.HasPrefix(p, "../") || !l.Exists(abs(p)) || l.IsDir(abs(p)) {
			return nil, errNotSimple
		}
		content, err := l.ReadFile(abs(p))
		if err != nil {
			return nil, errNotSimple
		}
		key = strings.TrimSpace(key)
		if _, dup := data[key]; dup || key == "" {
			return nil, errNotSimple
		}
		put(key, content)
	}
	lits, _ := gen["literals"].([]any)
	for _, lit := range lits {
		s, ok := lit.(string)
		if !ok {
			return nil, errNotSimple
		}
		key, val, ok := strings.Cut(s, "=")
		if !ok || strings.TrimSpace(key) == "" {
			return nil, errNotSimple
		}
		if len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && val[len(val)-1] == val[0] {
			val = val[1 : len(val)-1]
		}
		put(strings.TrimSpace(key), []byte(val))
	}
	doc := map[string]any{"apiVersion": "v1", "metadata": md}
	if secret {
		doc["kind"] = "Secret"
		t, _ := gen["type"].(string)
		if t == "" {
			t = "Opaque"
		}
		doc["type"] = t
	} else {
		doc["kind"] = "ConfigMap"
	}
	if len(data) > 0 {
		doc["data"] = data
	}
	if len(binary) > 0 {
		doc["binaryData"] = binary
	}
	return doc, nil
}

// finishObject applies postBuild substitution, the namespace and Flux's
// commonMetadata labels, with the results kustomize and Flux give. node is
// the document as written (nil for generated objects).
func finishObject(doc map[string]any, node *yaml.Node, ns string, req Request, origin, generatedBy string) (Object, error) {
	md, _ := doc["metadata"].(map[string]any)
	if md == nil {
		return Object{}, errNotSimple
	}
	labels := req.CommonLabels
	if req.Substitute != nil && !substitutionDisabled(md) {
		// Flux substitutes the rendered text; the text as written gives the
		// same result since the fast path changes no value that holds ${.
		if node == nil {
			if text, err := yaml.Marshal(doc); err != nil || bytes.Contains(text, []byte("${")) {
				return Object{}, errNotSimple
			}
		} else if text, err := yaml.Marshal(node); err != nil {
			return Object{}, errNotSimple
		} else if bytes.Contains(text, []byte("${")) {
			var out map[string]any
			if err := yaml.Unmarshal([]byte(substitute(string(text), req.Substitute, req.KeepUndefined)), &out); err != nil || out == nil {
				return Object{}, errNotSimple // let the slow path word the error
			}
			doc = out
			if md, _ = doc["metadata"].(map[string]any); md == nil {
				return Object{}, errNotSimple
			}
		}
		if len(labels) > 0 {
			sub := map[string]string{}
			for k, v := range labels {
				sub[k] = substitute(v, req.Substitute, req.KeepUndefined)
			}
			labels = sub
		}
	}
	kind, _ := doc["kind"].(string)
	if ns != "" && (kind == "RoleBinding" || kind == "ClusterRoleBinding") {
		return Object{}, errNotSimple // kustomize also rewrites their subjects
	}
	if ns != "" && !kinds.ClusterScoped(kind) {
		md["namespace"] = ns
	}
	if ns != "" && kind == "Namespace" {
		md["name"] = ns // kustomize's namespace transformer renames Namespaces
	}
	if len(labels) > 0 {
		m, _ := md["labels"].(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		for k, v := range labels {
			m[k] = v
		}
		md["labels"] = m
	}
	o := Object{Doc: doc, Origin: origin, GeneratedBy: generatedBy}
	o.APIVersion, _ = doc["apiVersion"].(string)
	o.Kind = kind
	o.Name, _ = md["name"].(string)
	o.Namespace, _ = md["namespace"].(string)
	return o, nil
}

func substitutionDisabled(md map[string]any) bool {
	for _, field := range []string{"annotations", "labels"} {
		if m, ok := md[field].(map[string]any); ok && m[substituteAnnotation] == "disabled" {
			return true
		}
	}
	return false
}

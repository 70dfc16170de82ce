package model

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/schema"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// Applied is an object applied to a cluster.
type Applied struct {
	Obj       *Object
	Namespace string // effective namespace after kustomize and Flux overrides
	Via       *Pull  // the Flux Kustomization that applies it; nil for the cluster root
}

// GenApplied is a generated Secret or ConfigMap applied to a cluster.
type GenApplied struct {
	Gen       *Generator
	Namespace string
	Via       *Pull
}

// Pull is one Flux Kustomization of a cluster with its source resolved.
type Pull struct {
	K        *Applied
	Source   *Applied   // nil when not found or implicit
	Implicit bool       // the bootstrap flux-system source, not defined in the repository
	View     *view.View // where spec.path is read; nil when unresolved
	External bool       // View is another repository at a pinned ref
	Ref      string     // for external sources: the ref read
	Path     string     // spec.path, cleaned
	PathNode *yaml.Node
	Missing  bool   // sourceRef matches nothing
	Err      error  // the external source could not be read
	Skipped  string // a source kind that is not followed, with why
	PathOK   bool   // spec.path exists in the resolved view
	// Artifact lists the folders of an ExternalArtifact built from this
	// repository when spec.path is in none of them (PathOK is false).
	Artifact []string
	// Copied is the copy rule of an ExternalArtifact that Path was mapped
	// through: the folder of this repository (From) that the artifact holds
	// at To. Path is in repository coordinates, spec.path in the artifact's.
	Copied *CopyRule
}

// CopyRule is one "@alias/From/**" to "@artifact/To/" copy of an
// ArtifactGenerator ("" is the root).
type CopyRule struct{ From, To string }

// InArtifact maps a path of this repository back into the artifact that
// the pull reads, and reports whether the artifact holds it.
func (p *Pull) InArtifact(repoPath string) (string, bool) {
	if p.Copied == nil {
		return repoPath, true
	}
	rest, ok := underDir(repoPath, p.Copied.From)
	if !ok {
		return "", false
	}
	if p.Copied.To == "" {
		return rest, true
	}
	return path.Join(p.Copied.To, rest), true
}

// Substituted reports whether spec.path holds ${var} placeholders.
func (p *Pull) Substituted() bool { return strings.Contains(p.Path, "${") }

// Unresolved reports whether what this pull applies is unknown: its source
// could not be read, matches nothing, or is of a kind that is not followed,
// or its path does not exist there (each reported at the pull itself).
// Rules that look for something "anywhere in the cluster" must stay quiet
// while a cluster has such pulls: what is missing may be what the broken
// pull would have applied.
func (p *Pull) Unresolved() bool {
	return p.Err != nil || p.Skipped != "" || p.Missing || (p.View != nil && p.PathNode != nil && !p.PathOK && !p.Substituted())
}

// HasUnresolved reports whether any pull of the cluster is unresolved.
func (c *Cluster) HasUnresolved() bool {
	for _, p := range c.Pulls {
		if p.Unresolved() {
			return true
		}
	}
	return false
}

// PathKey and PathValue locate spec.path in the Kustomization's file.
func (p *Pull) PathKey() (*yaml.Node, *yaml.Node) {
	return yamlfile.GetKV(p.K.Obj.Node(), "spec", "path")
}

// BaseEntry is an entry of a kustomization read inside an external view,
// kept so that findings there are reported at the pull that reads it.
type BaseEntry struct {
	Pull  *Pull
	K     *KFile
	Entry *Entry
}

// Cluster is one cluster and everything that is applied to it.
type Cluster struct {
	Name       string
	Root       string
	Applied    []*Applied
	Generated  []*GenApplied
	Pulls      []*Pull
	Reached    map[*view.View]map[string]bool // files read while building, per view
	BaseIssues []BaseEntry                    // missing or remote entries inside external views
	Cycles     []*Entry                       // kustomization entries that recurse into themselves
}

// Resolver supplies what the model cannot know by itself.
type Resolver interface {
	// IsThisRepo reports whether a GitRepository source is the analysed repository.
	IsThisRepo(src *Applied) bool
	// External opens an external GitRepository source at its pinned ref.
	External(ctx context.Context, src *Applied) (v *view.View, ref string, err error)
}

// BuildCluster follows the cluster root and every Flux Kustomization it
// reaches, recursively. When ctx ends, building stops and the cluster
// holds what was followed by then.
func BuildCluster(ctx context.Context, repo *Repo, name, root string, res Resolver) *Cluster {
	c := &Cluster{Name: name, Root: root, Reached: map[*view.View]map[string]bool{}}
	b := &builder{ctx: ctx, repo: repo, c: c, res: res, done: map[unitKey]bool{}}
	b.unit(repo.View, root, "", nil)
	// Follow Flux Kustomizations until nothing new appears: a source may be
	// applied after the Kustomization that names it.
	handled := map[*Applied]bool{}
	for ctx.Err() == nil {
		progress := false
		var pending []*Applied
		for _, a := range c.Applied {
			if a.Obj.IsFluxKustomization() && !handled[a] {
				pending = append(pending, a)
			}
		}
		for _, k := range pending {
			if ctx.Err() != nil {
				return c
			}
			p := b.resolve(k)
			if p == nil {
				continue // source not applied yet; retry after others
			}
			handled[k] = true
			progress = true
			c.Pulls = append(c.Pulls, p)
			if p.View != nil && p.PathOK {
				tns := yamlfile.Str(k.Obj.Node(), "spec", "targetNamespace")
				b.unit(p.View, p.Path, tns, p)
			}
		}
		if !progress {
			for _, k := range pending {
				p := b.pull(k)
				p.Missing = true
				c.Pulls = append(c.Pulls, p)
			}
			break
		}
	}
	sort.SliceStable(c.Pulls, func(i, j int) bool {
		a, b := c.Pulls[i].K.Obj, c.Pulls[j].K.Obj
		if a.File.Path != b.File.Path {
			return a.File.Path < b.File.Path
		}
		return a.Doc.Index < b.Doc.Index
	})
	return c
}

type unitKey struct {
	v   *view.View
	dir string
}

type builder struct {
	ctx  context.Context
	repo *Repo
	c    *Cluster
	res  Resolver
	done map[unitKey]bool
}

func (b *builder) reach(v *view.View, p string) {
	m := b.c.Reached[v]
	if m == nil {
		m = map[string]bool{}
		b.c.Reached[v] = m
	}
	m[p] = true
}

// unit applies a folder as Flux does: through its kustomization, or, when
// it has none, every YAML below it (a sub-folder with a kustomization is
// taken as a whole).
func (b *builder) unit(v *view.View, dir, ns string, via *Pull) {
	key := unitKey{v, dir}
	if b.done[key] || b.ctx.Err() != nil {
		return
	}
	b.done[key] = true
	if kf := FindKustomization(v, dir); kf != "" {
		b.kustomize(v, dir, ns, via, map[string]bool{})
		return
	}
	b.generated(v, dir, ns, via)
}

func (b *builder) generated(v *view.View, dir, ns string, via *Pull) {
	for _, e := range v.ReadDir(dir) {
		p := path.Join(dir, e.Name())
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if e.IsDir() {
			if FindKustomization(v, p) != "" {
				b.kustomize(v, p, ns, via, map[string]bool{})
			} else {
				b.generated(v, p, ns, via)
			}
			continue
		}
		if view.IsYAML(e.Name()) {
			b.applyFile(v, p, ns, via)
		}
	}
}

func (b *builder) kfile(v *view.View, dir string) *KFile {
	if v == b.repo.View {
		if k, ok := b.repo.Kustomizations[dir]; ok {
			return k
		}
	}
	p := FindKustomization(v, dir)
	if p == "" {
		return nil
	}
	k, err := ParseKustomization(v, p)
	if err != nil {
		return nil
	}
	return k
}

func (b *builder) kustomize(v *view.View, dir, ns string, via *Pull, stack map[string]bool) {
	if stack[dir] {
		return
	}
	k := b.kfile(v, dir)
	if k == nil {
		return
	}
	stack[dir] = true
	defer delete(stack, dir)
	b.reach(v, k.File.Path)
	eff := ns
	if eff == "" {
		eff = k.Namespace
	}
	for _, e := range k.Entries {
		if e.Remote || e.Outside {
			if v != b.repo.View && via != nil {
				b.c.BaseIssues = append(b.c.BaseIssues, BaseEntry{Pull: via, K: k, Entry: e})
			}
			continue
		}
		ok, isDir := v.Stat(e.Target)
		if !ok {
			if v != b.repo.View && via != nil {
				b.c.BaseIssues = append(b.c.BaseIssues, BaseEntry{Pull: via, K: k, Entry: e})
			}
			continue
		}
		if !e.Applies() {
			if !isDir {
				b.reach(v, e.Target)
			}
			continue
		}
		if isDir {
			if stack[e.Target] {
				b.c.Cycles = append(b.c.Cycles, e)
				continue
			}
			b.kustomize(v, e.Target, eff, via, stack)
			continue
		}
		b.applyFile(v, e.Target, eff, via)
	}
	for _, g := range k.Generators {
		gns := eff
		if gns == "" {
			gns = g.Namespace
		}
		b.c.Generated = append(b.c.Generated, &GenApplied{Gen: g, Namespace: gns, Via: via})
	}
}

func (b *builder) applyFile(v *view.View, p, ns string, via *Pull) {
	b.reach(v, p)
	f, err := v.YAML(p)
	if err != nil {
		return
	}
	for _, o := range b.repo.ObjectsIn(v, f) {
		eff := o.Namespace
		if ns != "" && !IsClusterScoped(o.Kind) {
			eff = ns
		}
		b.c.Applied = append(b.c.Applied, &Applied{Obj: o, Namespace: eff, Via: via})
	}
}

func (b *builder) pull(k *Applied) *Pull {
	_, pv := yamlfile.GetKV(k.Obj.Node(), "spec", "path")
	p := &Pull{K: k, PathNode: pv}
	raw := yamlfile.Str(k.Obj.Node(), "spec", "path")
	p.Path, _ = view.Clean(raw)
	return p
}

// SourceRef returns kind, name and namespace of a sourceRef mapping, the
// namespace defaulting to the referring object's.
func SourceRef(n *yaml.Node, defaultNS string) (kind, name, ns string) {
	kind, name, ns = yamlfile.Str(n, "kind"), yamlfile.Str(n, "name"), yamlfile.Str(n, "namespace")
	if ns == "" {
		ns = defaultNS
	}
	return
}

// FindSource looks up a source applied to the cluster. A namespace that is
// unknown on either side matches any.
func (c *Cluster) FindSource(kind, name, ns string) *Applied {
	for _, a := range c.Applied {
		o := a.Obj
		if o.Kind != kind || o.Name != name {
			continue
		}
		if kind == "ExternalArtifact" || o.IsSource() {
			if ns == "" || a.Namespace == "" || a.Namespace == ns {
				return a
			}
		}
	}
	if kind == "ExternalArtifact" {
		// ArtifactGenerators produce ExternalArtifacts named by spec.artifacts[].name.
		for _, a := range c.Applied {
			if a.Obj.Kind != "ArtifactGenerator" {
				continue
			}
			for _, it := range yamlfile.Items(yamlfile.Get(a.Obj.Node(), "spec", "artifacts")) {
				if yamlfile.Str(it, "name") == name && (ns == "" || a.Namespace == "" || a.Namespace == ns) {
					return a
				}
			}
		}
	}
	return nil
}

// resolve finds the source of a Flux Kustomization; nil means "not yet".
func (b *builder) resolve(k *Applied) *Pull {
	p := b.pull(k)
	kind, name, ns := SourceRef(yamlfile.Get(k.Obj.Node(), "spec", "sourceRef"), k.Namespace)
	if kind == "" {
		kind = "GitRepository"
	}
	src := b.c.FindSource(kind, name, ns)
	if src == nil {
		if name == "flux-system" && (kind == "GitRepository" || (kind == "OCIRepository" && b.repo.usesFluxOperator())) && !b.c.definesFluxSystem(kind) {
			// Bootstrapped out of band (flux bootstrap, or a Flux Operator
			// instance syncing an artifact of this repository): flux-system
			// is this repository.
			p.Implicit = true
			p.View = b.repo.View
			b.checkPath(p)
			return p
		}
		if fi, sync := b.syncedBy(kind, name, ns); fi != nil {
			// The source the Flux Operator creates from a FluxInstance's
			// spec.sync: this repository when the sync path is here (the
			// repository is pushed as that artifact), else not followed.
			p.Implicit = true
			syncPath, _ := view.Clean(yamlfile.Str(sync, "path"))
			if ok, isDir := b.repo.View.Stat(syncPath); kind == "GitRepository" || (ok && isDir) {
				p.View = b.repo.View
				b.checkPath(p)
			} else {
				p.Skipped = "the " + kind + " of " + fi.Kind + " " + fi.Name + " is not this repository"
			}
			return p
		}
		return nil
	}
	p.Source = src
	switch {
	case kind == "ExternalArtifact" && src.Obj.Kind == "ArtifactGenerator":
		if rp, rule, dirs := artifactPath(src, name, p.Path); rule != nil {
			p.View = b.repo.View
			p.Path = rp
			p.Copied = rule
			b.checkPath(p)
		} else if len(dirs) > 0 && !p.Substituted() && p.Path != "." {
			// Every copy rule is known: the path is in none of them.
			p.View = b.repo.View
			p.Artifact = dirs
		} else {
			p.Skipped = "the artifact's content could not be mapped to this repository"
		}
	case kind != "GitRepository" || src.Obj.Kind != "GitRepository":
		p.Skipped = kind + " sources are not followed"
	case b.res.IsThisRepo(src):
		p.View = b.repo.View
		b.checkPath(p)
	default:
		v, ref, err := b.res.External(b.ctx, src)
		p.External = true
		p.Ref = ref
		if err != nil {
			p.Err = err
			return p
		}
		p.View = v
		b.checkPath(p)
	}
	return p
}

func (b *builder) checkPath(p *Pull) {
	if p.PathNode == nil {
		if unknown := unknownSpecFields(p.K.Obj); len(unknown) > 0 {
			// Flux would apply the source's root, but the author meant a
			// path: a misspelt key is reported by the schema check.
			p.Skipped = fmt.Sprintf("spec has no path but an unknown field %q (a misspelt path?)", unknown[0])
			return
		}
	}
	if p.Substituted() {
		// ${var} is filled in by a parent's postBuild: the real path is unknown.
		p.PathOK = false
		p.Skipped = "spec.path uses postBuild variables"
		return
	}
	ok, isDir := p.View.Stat(p.Path)
	p.PathOK = ok && isDir
	if !strings.HasPrefix(p.Path, "..") && p.Path == "." {
		p.PathOK = true
	}
}

func (c *Cluster) definesFluxSystem(kind string) bool {
	for _, a := range c.Applied {
		if a.Obj.Kind == kind && a.Obj.Name == "flux-system" {
			return true
		}
	}
	return false
}

// syncedBy returns the Flux Operator instance whose spec.sync makes the
// source kind/name/ns (named after the instance's namespace unless
// sync.name says otherwise), with that sync, or nil. The instance is a
// FluxInstance or the values of the flux-instance Helm chart
// (values.instance.sync). One applied to the cluster comes first; else one
// anywhere in the repository that syncs this cluster's own folder, since
// the instance is often applied only through the source it creates.
func (b *builder) syncedBy(kind, name, ns string) (*Object, *yaml.Node) {
	match := func(o *Object, objNS string) *yaml.Node {
		sync := OperatorSync(o)
		if sync == nil || yamlfile.Str(sync, "kind") != kind {
			return nil
		}
		fiNS := objNS
		if fiNS == "" {
			fiNS = "flux-system"
		}
		syncName := yamlfile.Str(sync, "name")
		if syncName == "" {
			syncName = fiNS
		}
		if syncName == name && (ns == "" || ns == fiNS) {
			return sync
		}
		return nil
	}
	for _, a := range b.c.Applied {
		if sync := match(a.Obj, a.Namespace); sync != nil {
			return a.Obj, sync
		}
	}
	for _, o := range b.repo.Objects {
		objNS := o.Namespace
		if t := yamlfile.Str(o.Node(), "spec", "targetNamespace"); t != "" && o.Kind == "HelmRelease" {
			objNS = t
		}
		sync := match(o, objNS)
		if sync == nil {
			continue
		}
		if dir, ok := view.Clean(yamlfile.Str(sync, "path")); ok && dir == b.c.Root {
			return o, sync
		}
	}
	return nil, nil
}

// OperatorSync is the spec.sync of a Flux Operator FluxInstance, or the
// values.instance.sync of a HelmRelease of the flux-instance chart, or nil.
func OperatorSync(o *Object) *yaml.Node {
	switch {
	case o.Kind == "FluxInstance" && strings.HasPrefix(o.APIVersion, "fluxcd.controlplane.io/"):
		return yamlfile.Get(o.Node(), "spec", "sync")
	case o.Kind == "HelmRelease" && strings.HasPrefix(o.APIVersion, "helm.toolkit.fluxcd.io/"):
		return yamlfile.Get(o.Node(), "spec", "values", "instance", "sync")
	}
	return nil
}

// Reaches reports whether the cluster read file p of view v.
func (c *Cluster) Reaches(v *view.View, p string) bool { return c.Reached[v][p] }

// artifactPath maps a path inside an ExternalArtifact made by an
// ArtifactGenerator back to this repository, through the generator's copy
// rules ("@alias/dir/**" to "@artifact/target/"), when the alias is this
// repository. Copies that keep the folder structure are the common case,
// and relative references between the copied trees then resolve the same.
//
// When no rule holds p and every rule copies a folder of this repository,
// dirs lists the artifact's folders: the path is certainly not in it.
func artifactPath(gen *Applied, artifact, p string) (mapped string, rule *CopyRule, dirs []string) {
	aliases := map[string]bool{}
	for _, s := range yamlfile.Items(yamlfile.Get(gen.Obj.Node(), "spec", "sources")) {
		if yamlfile.Str(s, "kind") == "GitRepository" && yamlfile.Str(s, "name") == "flux-system" {
			aliases[yamlfile.Str(s, "alias")] = true
		}
	}
	for _, a := range yamlfile.Items(yamlfile.Get(gen.Obj.Node(), "spec", "artifacts")) {
		if yamlfile.Str(a, "name") != artifact {
			continue
		}
		best, bestLen := "", -1
		var bestRule *CopyRule
		complete := true
		var all []string
		for _, cp := range yamlfile.Items(yamlfile.Get(a, "copy")) {
			from, to := yamlfile.Str(cp, "from"), yamlfile.Str(cp, "to")
			alias, fromPath, ok := strings.Cut(strings.TrimPrefix(from, "@"), "/")
			if !ok || !aliases[alias] || !strings.HasSuffix(fromPath, "**") || strings.Contains(to, "${") {
				complete = false
				continue
			}
			fromDir := strings.Trim(strings.TrimSuffix(fromPath, "**"), "/")
			toDir := strings.Trim(strings.TrimPrefix(to, "@artifact"), "/")
			all = append(all, toDir+"/")
			rest, ok := underDir(p, toDir)
			if !ok || len(toDir) <= bestLen {
				continue
			}
			best, bestLen = path.Join(fromDir, rest), len(toDir)
			bestRule = &CopyRule{From: cleanDir(fromDir), To: cleanDir(toDir)}
		}
		if bestLen >= 0 {
			c, _ := view.Clean(best)
			return c, bestRule, nil
		}
		if complete {
			dirs = all
		}
		return "", nil, dirs
	}
	return "", nil, nil
}

// cleanDir is a copy rule's folder with "." for the root written "".
func cleanDir(d string) string {
	if d == "." {
		return ""
	}
	return d
}

// underDir returns p relative to dir ("" or "." dir is the root).
func underDir(p, dir string) (string, bool) {
	if dir == "" || dir == "." {
		return p, true
	}
	if p == dir {
		return ".", true
	}
	rest, ok := strings.CutPrefix(p, dir+"/")
	return rest, ok
}

// unknownSpecFields lists the spec keys of a Flux object that its API does
// not define.
func unknownSpecFields(o *Object) []string {
	spec := yamlfile.Get(o.Node(), "spec")
	if spec == nil || spec.Kind != yaml.MappingNode {
		return nil
	}
	var keys []string
	for i := 0; i+1 < len(spec.Content); i += 2 {
		keys = append(keys, spec.Content[i].Value)
	}
	return schema.UnknownFluxSpecFields(o.APIVersion, o.Kind, keys)
}

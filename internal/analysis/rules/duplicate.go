package rules

import (
	"cmp"
	"fmt"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/kinds"
	"path"
	"slices"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
)

// objectKey names an object the way the API server does.
// objectKey is an object's identity in a cluster, as the API server and
// Flux's inventory see it: group, kind, namespace and name (a v1
// ServiceAccount and a talos.dev ServiceAccount of one name are two
// objects).
type objectKey struct{ group, kind, namespace, name string }

func (k objectKey) String() string {
	if k.namespace == "" {
		return k.kind + " " + k.name
	}
	return k.kind + " " + k.namespace + "/" + k.name
}

// owns reports whether applying the object makes the Kustomization its
// owner. Flux's documented way to share an object (a Namespace, say) is to
// let every Kustomization but one create it only when absent
// (ssa: IfNotPresent) and never prune it (prune: disabled); an object that
// is never touched (ssa: Ignore) or not reconciled (reconcile: disabled) is
// no tug of war either. IfNotPresent alone still deletes the object when
// that Kustomization prunes it, so it is owned.
func owns(o *render.Object) bool {
	md, _ := o.Doc["metadata"].(map[string]any)
	ann, _ := md["annotations"].(map[string]any)
	get := func(k string) string {
		s, _ := ann["kustomize.toolkit.fluxcd.io/"+k].(string)
		return strings.ToLower(s)
	}
	switch {
	case get("reconcile") == "disabled", get("ssa") == "ignore":
		return false
	case get("ssa") == "ifnotpresent" && get("prune") == "disabled":
		return false
	}
	return true
}

// owner is a build and the objects it owns, by identity.
type owner struct {
	j       *renderJob
	objects map[objectKey]*render.Object
}

// checkDuplicates reports flux/duplicate-object: two Flux Kustomizations of
// one cluster that render the same object take turns owning it (each
// reconcile rewrites its ownership labels) and pruning or deleting either
// deletes it while the other still wants it. Each Kustomization is reported
// at its spec.path, related to the other's, with the objects named.
func (r *renderRun) checkDuplicates(jobs []*renderJob) {
	// A group is what one API server receives: the cluster's Kustomizations
	// without spec.kubeConfig, or those sharing one kubeConfig (a spoke
	// cluster applied from a hub).
	type group struct {
		cl     *model.Cluster
		target string
	}
	groups := map[group][]*owner{}
	var order []group
	// Two different Kustomization documents with one namespace/name in a
	// cluster cannot both exist there: the model mixes two clusters (say, a
	// tenant source on another branch of this repository, read here as the
	// working tree), and their objects prove nothing.
	byName := map[*model.Cluster]map[string]*model.Object{}
	ambiguous := map[*model.Cluster]map[string]bool{}
	for _, j := range jobs {
		if j.p == nil {
			continue
		}
		id := j.p.K.Namespace + "/" + j.p.K.Obj.Name
		if byName[j.cl] == nil {
			byName[j.cl], ambiguous[j.cl] = map[string]*model.Object{}, map[string]bool{}
		}
		if prev, ok := byName[j.cl][id]; ok && prev != j.p.K.Obj {
			ambiguous[j.cl][id] = true
		}
		byName[j.cl][id] = j.p.K.Obj
	}
	seen := map[*model.Cluster]map[string]bool{}
	for _, j := range jobs {
		if r.c.cancelled() {
			return
		}
		if j.p == nil || j.res.Err != nil || len(j.res.Objects) == 0 {
			continue
		}
		id := j.p.K.Namespace + "/" + j.p.K.Obj.Name
		if ambiguous[j.cl][id] || seen[j.cl][id] {
			continue
		}
		if seen[j.cl] == nil {
			seen[j.cl] = map[string]bool{}
		}
		seen[j.cl][id] = true
		ow := &owner{j: j, objects: map[objectKey]*render.Object{}}
		for i := range j.res.Objects {
			o := &j.res.Objects[i]
			if o.Name == "" || strings.Contains(o.Name+o.Namespace, "${") || !owns(o) {
				continue
			}
			ow.objects[objectKey{kinds.Group(o.APIVersion), o.Kind, o.Namespace, o.Name}] = o
		}
		g := group{j.cl, kubeConfigTarget(j.p)}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], ow)
	}
	for _, g := range order {
		if r.c.cancelled() {
			return
		}
		r.reportShared(g.cl, groups[g])
	}
}

// reportShared reports every ordered pair of owners of one API server that
// apply a common object, in the owners' order. Objects are indexed by
// key first: a cluster of a few hundred Kustomizations has tens of
// thousands of pairs, and almost none of them share anything.
func (r *renderRun) reportShared(cl *model.Cluster, owners []*owner) {
	byKey := map[objectKey][]int{}
	for i, ow := range owners {
		for k := range ow.objects {
			byKey[k] = append(byKey[k], i)
		}
	}
	type pair struct{ a, b int }
	shared := map[pair][]objectKey{}
	for k, idx := range byKey {
		for _, a := range idx {
			for _, b := range idx {
				if a != b {
					shared[pair{a, b}] = append(shared[pair{a, b}], k)
				}
			}
		}
	}
	pairs := make([]pair, 0, len(shared))
	for p := range shared {
		pairs = append(pairs, p)
	}
	slices.SortFunc(pairs, func(x, y pair) int { return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b)) })
	for _, p := range pairs {
		oa, ob := owners[p.a], owners[p.b]
		if pathsOverlap(oa.j, ob.j) || oa.j.v == r.c.Repo.View || ob.j.v == r.c.Repo.View {
			r.duplicate(cl, oa.j, ob.j, shared[p], oa.objects)
		}
	}
}

// pathsOverlap reports whether two builds read the same tree with one path
// inside (or equal to) the other. Two disjoint paths of a read-only base
// that both include a shared file (openCenter's observability services each
// carry ../sources/grafana.yaml, so that each can be deployed alone) are the
// base's design, not the overlay's mistake: the overlay cannot fix them by
// moving a path, so they are not reported. Shared files of this repository
// are, whatever the paths.
func pathsOverlap(a, b *renderJob) bool {
	if a.v != b.v {
		return false
	}
	_, in := underDir(a.req.Path, b.req.Path)
	_, out := underDir(b.req.Path, a.req.Path)
	return in || out
}

// kubeConfigTarget names the remote cluster a Kustomization applies to
// through spec.kubeConfig, "" for its own cluster.
func kubeConfigTarget(p *model.Pull) string {
	kc := yamlfile.Get(p.K.Obj.Node(), "spec", "kubeConfig")
	if kc == nil {
		return ""
	}
	for _, ref := range []string{"secretRef", "configMapRef"} {
		if name := yamlfile.Str(yamlfile.Get(kc, ref), "name"); name != "" {
			return ref + ":" + p.K.Namespace + "/" + name
		}
	}
	return "kubeConfig:" + p.K.Namespace + "/" + p.K.Obj.Name
}

// duplicate reports one Kustomization's side of a shared set of objects.
func (r *renderRun) duplicate(cl *model.Cluster, j, other *renderJob, shared []objectKey, objs map[objectKey]*render.Object) {
	o := j.p.K.Obj
	if o.View != r.c.Repo.View || j.p.PathNode == nil {
		return // a base's own Kustomization: not the customer's to fix
	}
	slices.SortFunc(shared, func(x, y objectKey) int { return strings.Compare(x.String(), y.String()) })
	names := make([]string, 0, 5)
	for i, k := range shared {
		if i == 5 {
			names = append(names, fmt.Sprintf("and %d more", len(shared)-5))
			break
		}
		names = append(names, k.String())
	}
	ok := other.p.K.Obj
	msg := fmt.Sprintf("Kustomization %s and Kustomization %s of cluster %s both apply %s: each reconcile takes %s over from the other, and pruning or deleting the one that applied %s last deletes %s while the other still wants %s",
		o.Name, ok.Name, cl.Name, strings.Join(names, ", "), plural(len(shared), "the object", "the objects"), plural(len(shared), "it", "them"), plural(len(shared), "it", "them"), plural(len(shared), "it", "them"))
	msg += "; " + r.duplicateHint(j, other, shared, objs)
	d := r.c.Report(catalog.FluxDuplicateObject, o.File, j.p.PathNode, msg)
	otherFile := ok.File
	if ok.View == r.c.Repo.View {
		d.Related = append(d.Related, related("", otherFile.Path, otherFile, other.p.PathNode,
			fmt.Sprintf("Kustomization %s applies %s too", ok.Name, r.label(other))))
	} else {
		d.Related = append(d.Related, related(ok.View.Label, otherFile.Path, otherFile, other.p.PathNode,
			fmt.Sprintf("Kustomization %s applies %s too", ok.Name, r.label(other))))
	}
	if src := objs[shared[0]]; src != nil && src.Origin != "" {
		label := ""
		if j.v != r.c.Repo.View {
			label = j.v.Label
		}
		f, _ := j.v.YAML(src.Origin)
		d.Related = append(d.Related, related(label, src.Origin, f, nil, shared[0].String()+" is written here"))
	}
}

// duplicateHint says how to fix it: when one path contains the other, the
// outer one is most likely one folder too high.
func (r *renderRun) duplicateHint(j, other *renderJob, shared []objectKey, objs map[objectKey]*render.Object) string {
	if j.v == other.v {
		if inner, ok := underDir(other.req.Path, j.req.Path); ok && inner != "." {
			first, _, _ := strings.Cut(inner, "/")
			var siblings []string
			for _, o := range j.res.Objects {
				rest, ok := underDir(o.Origin, j.req.Path)
				if dir, _, sub := strings.Cut(rest, "/"); ok && sub && dir != first {
					if s := path.Join(j.req.Path, dir); !slices.Contains(siblings, s) {
						siblings = append(siblings, s)
					}
				}
			}
			slices.Sort(siblings)
			hint := fmt.Sprintf("%s contains %s, which Kustomization %s applies: point spec.path at the intended sub-folder", j.req.Path, other.req.Path, other.p.K.Obj.Name)
			if len(siblings) > 0 && len(siblings) <= 3 {
				hint += " (" + strings.Join(siblings, " or ") + ")"
			}
			return hint
		}
		if _, ok := underDir(j.req.Path, other.req.Path); ok && j.req.Path != other.req.Path {
			return fmt.Sprintf("Kustomization %s's path %s contains this one: point that Kustomization at its intended sub-folder", other.p.K.Obj.Name, other.req.Path)
		}
		if j.req.Path == other.req.Path {
			return "both point at " + j.req.Path + ": keep one Kustomization, or give each its own folder"
		}
	}
	for _, k := range shared {
		if k.kind == "Namespace" {
			return "declare the Namespace in one place, or annotate the other copies kustomize.toolkit.fluxcd.io/ssa: IfNotPresent and kustomize.toolkit.fluxcd.io/prune: disabled"
		}
	}
	if src := objs[shared[0]]; src != nil && src.Origin != "" {
		return "apply " + path.Dir(src.Origin) + " from one Kustomization only"
	}
	return "apply each object from one Kustomization only"
}

// underDir reports whether p is dir or below it, and the rest.
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

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

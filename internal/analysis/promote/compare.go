package promote

import (
	"path"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/layout"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
)

// ServiceDiff compares one service between two environments.
type ServiceDiff struct {
	Service string   `json:"service"`
	Files   []string `json:"files"` // files that differ (env-local files excluded)
	PinsA   []string `json:"pinsA"` // refs the service's sources pin in A
	PinsB   []string `json:"pinsB"`
}

// EnvDiff compares two environments.
type EnvDiff struct {
	A        string        `json:"a"`
	B        string        `json:"b"`
	Services []ServiceDiff `json:"services"` // services in both
	OnlyA    []string      `json:"onlyA"`
	OnlyB    []string      `json:"onlyB"`
}

// Compare compares two environments service by service.
func Compare(snap *analysis.Snapshot, a, b string) (*EnvDiff, error) {
	if err := checkEnvs(snap, a, b); err != nil {
		return nil, err
	}
	repo := snap.Repo
	rootA, rootB := repo.OverlayRoot+"/"+a, repo.OverlayRoot+"/"+b
	sa, sb := setOf(layout.ServiceNames(repo, rootA)), setOf(layout.ServiceNames(repo, rootB))
	d := &EnvDiff{A: a, B: b, Services: []ServiceDiff{}, OnlyA: []string{}, OnlyB: []string{}}
	for _, s := range sortedSet(sa, sb) {
		switch {
		case sa[s] && !sb[s]:
			d.OnlyA = append(d.OnlyA, s)
		case sb[s] && !sa[s]:
			d.OnlyB = append(d.OnlyB, s)
		default:
			files := layout.DiffService(repo, snap.Config, rootA, rootB, s)
			if files == nil {
				files = []string{}
			}
			d.Services = append(d.Services, ServiceDiff{Service: s, Files: files, PinsA: ServicePins(repo, rootA, s), PinsB: ServicePins(repo, rootB, s)})
		}
	}
	return d, nil
}

func checkEnvs(snap *analysis.Snapshot, envs ...string) error {
	if snap.Repo.OverlayRoot == "" {
		return inputErr("comparing environments needs the openCenter layout (applications/overlays/<cluster>/)")
	}
	known := map[string]bool{}
	var names []string
	for _, c := range snap.Clusters {
		known[c.Name] = true
		names = append(names, c.Name)
	}
	for _, e := range envs {
		if !known[e] {
			return inputErr("unknown environment %q (clusters: %s)", e, strings.Join(names, ", "))
		}
	}
	return nil
}

func setOf(ss []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range ss {
		m[s] = true
	}
	return m
}

func sortedSet(ms ...map[string]bool) []string {
	all := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			all[k] = true
		}
	}
	out := make([]string, 0, len(all))
	for k := range all {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ServicePins lists the refs pinned by the GitRepositories the service's
// Flux Kustomizations read, in the cluster overlay at root ("name@ref").
func ServicePins(repo *model.Repo, root, svc string) []string {
	svcDir := root + "/services/" + svc
	fluxFile := layout.FluxFile(root, svc)
	names := map[string]bool{}
	for _, o := range repo.Objects {
		if !o.IsFluxKustomization() || !strings.HasPrefix(o.File.Path, root+"/") {
			continue
		}
		p, _ := cleanPath(yamlfile.Str(o.Node(), "spec", "path"))
		if o.File.Path != fluxFile && p != svcDir && !strings.HasPrefix(p, svcDir+"/") {
			continue
		}
		if n := yamlfile.Str(o.Node(), "spec", "sourceRef", "name"); n != "" && n != "flux-system" {
			names[n] = true
		}
	}
	out := []string{}
	for _, o := range repo.Objects {
		if o.Kind != "GitRepository" || !names[o.Name] || !strings.HasPrefix(o.File.Path, root+"/") {
			continue
		}
		ref := yamlfile.Str(o.Node(), "spec", "ref", "tag")
		if ref == "" {
			if b := yamlfile.Str(o.Node(), "spec", "ref", "branch"); b != "" {
				ref = "branch " + b
			} else {
				ref = "?"
			}
		}
		out = append(out, o.Name+"@"+ref)
	}
	sort.Strings(out)
	return out
}

// Cell is one service in one environment of the matrix.
type Cell struct {
	Present bool     `json:"present"`
	Pins    []string `json:"pins"`
	// Status compares with the previous environment: "same", "different"
	// (with Differ files), "new" (absent there), "" for the first one or
	// when absent here.
	Status string `json:"status,omitempty"`
	Differ int    `json:"differ,omitempty"`
}

// Matrix is every service by every environment.
type Matrix struct {
	Envs     []string          `json:"environments"`
	Services []string          `json:"services"`
	Cells    map[string][]Cell `json:"cells"` // by service, one per environment
}

// EnvMatrix builds the matrix over the promotion chain (every cluster
// when no chain is known).
func EnvMatrix(snap *analysis.Snapshot) (*Matrix, error) {
	if err := checkEnvs(snap); err != nil {
		return nil, err
	}
	envs := snap.Envs
	if len(envs) == 0 {
		for _, c := range snap.Clusters {
			envs = append(envs, c.Name)
		}
	}
	repo := snap.Repo
	m := &Matrix{Envs: envs, Services: []string{}, Cells: map[string][]Cell{}}
	present := make([]map[string]bool, len(envs))
	for i, e := range envs {
		present[i] = setOf(layout.ServiceNames(repo, path.Join(repo.OverlayRoot, e)))
	}
	m.Services = sortedSet(present...)
	for _, s := range m.Services {
		row := make([]Cell, len(envs))
		for i, e := range envs {
			root := path.Join(repo.OverlayRoot, e)
			if !present[i][s] {
				continue
			}
			c := Cell{Present: true, Pins: ServicePins(repo, root, s)}
			if i > 0 {
				if !present[i-1][s] {
					c.Status = "new"
				} else if d := layout.DiffService(repo, snap.Config, path.Join(repo.OverlayRoot, envs[i-1]), root, s); len(d) > 0 {
					c.Status, c.Differ = "different", len(d)
				} else {
					c.Status = "same"
				}
			}
			row[i] = c
		}
		m.Cells[s] = row
	}
	return m, nil
}

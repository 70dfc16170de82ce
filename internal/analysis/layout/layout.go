// Package layout knows the openCenter layout of a customer repository:
// the services of a cluster overlay, their files, and how two
// environments' copies of a service compare.
package layout

import (
	"bytes"
	"path"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
)

// EnvLocalMarker in a comment marks a file of a target environment as its
// own: promotion leaves it alone and environment comparisons skip it.
const EnvLocalMarker = "gitops:env-local"

// infraFolders under services/ that are not services.
var infraFolders = map[string]bool{"fluxcd": true, "sources": true}

// ServiceNames lists the services of a cluster overlay at root: folders
// under services/ (other than fluxcd/ and sources/) and the Flux
// Kustomization files fluxcd/<svc>.yaml.
func ServiceNames(repo *model.Repo, root string) []string {
	seen := map[string]bool{}
	prefix := root + "/services/"
	for _, p := range repo.Listing.Files {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		first, tail, nested := strings.Cut(rest, "/")
		switch {
		case nested && !infraFolders[first]:
			seen[first] = true
		case nested && first == "fluxcd" && !strings.Contains(tail, "/"):
			name := strings.TrimSuffix(strings.TrimSuffix(tail, ".yaml"), ".yml")
			if name != tail && name != "kustomization" && name != "sources" {
				seen[name] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// ServiceFiles maps the files of root/services/svc, relative to that
// folder, to their repository paths.
func ServiceFiles(repo *model.Repo, root, svc string) map[string]string {
	out := map[string]string{}
	prefix := root + "/services/" + svc + "/"
	for _, p := range repo.Listing.Files {
		if rel, ok := strings.CutPrefix(p, prefix); ok {
			out[rel] = p
		}
	}
	return out
}

// FluxFile is the conventional Flux Kustomization file of a service.
func FluxFile(root, svc string) string { return root + "/services/fluxcd/" + svc + ".yaml" }

// IsEnvLocal reports whether a file of an environment is its own: marked
// with a "# gitops:env-local" comment, or matched by a .gitops.yaml
// envLocal glob (against the repository path or the path inside the
// service folder).
func IsEnvLocal(cfg *config.Config, repoPath, rel string, content []byte) bool {
	for _, line := range bytes.Split(content, []byte("\n")) {
		if i := bytes.Index(line, []byte(EnvLocalMarker)); i >= 0 && bytes.Contains(line[:i], []byte("#")) {
			return true
		}
	}
	if cfg == nil {
		return false
	}
	for _, g := range cfg.EnvLocal {
		re, err := config.GlobRegexp(g)
		if err != nil {
			continue
		}
		if re.MatchString(repoPath) || (rel != "" && re.MatchString(rel)) {
			return true
		}
	}
	return false
}

// RewriteEnv rewrites text of environment from for environment to: overlay
// paths (applications/overlays/FROM/...) and whole-word mentions of the
// cluster name.
func RewriteEnv(s, from, to string) string {
	if from == "" || from == to {
		return s
	}
	// A plain scan, not a regular expression: this runs for every file of
	// every service on every check.
	var b strings.Builder
	last := 0
	for i := 0; i+len(from) <= len(s); {
		j := strings.Index(s[i:], from)
		if j < 0 {
			break
		}
		at := i + j
		end := at + len(from)
		if (at == 0 || !isWordByte(s[at-1])) && (end == len(s) || !isWordByte(s[end])) {
			b.WriteString(s[last:at])
			b.WriteString(to)
			last = end
			i = end
			continue
		}
		i = at + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// DiffService lists the files (relative to the service folder; the Flux
// file as "fluxcd/<svc>.yaml") that differ between two environments,
// ignoring files either side marks as environment-local. The Flux file of
// the earlier environment is compared after RewriteEnv.
func DiffService(repo *model.Repo, cfg *config.Config, rootA, rootB, svc string) []string {
	read := func(p string) []byte {
		data, err := repo.View.Read(p)
		if err != nil {
			return nil
		}
		return data
	}
	fa, fb := ServiceFiles(repo, rootA, svc), ServiceFiles(repo, rootB, svc)
	names := map[string]bool{}
	for r := range fa {
		names[r] = true
	}
	for r := range fb {
		names[r] = true
	}
	var out []string
	for rel := range names {
		pa, inA := fa[rel]
		pb, inB := fb[rel]
		var da, db []byte
		if inA {
			da = read(pa)
		}
		if inB {
			db = read(pb)
		}
		if (inA && IsEnvLocal(cfg, pa, rel, da)) || (inB && IsEnvLocal(cfg, pb, rel, db)) {
			continue
		}
		if inA != inB || !bytes.Equal(da, db) {
			out = append(out, rel)
		}
	}
	ka, kb := FluxFile(rootA, svc), FluxFile(rootB, svc)
	okA, _ := repo.View.Stat(ka)
	okB, _ := repo.View.Stat(kb)
	if okA || okB {
		da, db := read(ka), read(kb)
		local := (okB && IsEnvLocal(cfg, kb, "", db)) || (okA && IsEnvLocal(cfg, ka, "", da))
		if !local && (okA != okB || RewriteEnv(string(da), path.Base(rootA), path.Base(rootB)) != string(db)) {
			out = append(out, "fluxcd/"+svc+".yaml")
		}
	}
	sort.Strings(out)
	return out
}

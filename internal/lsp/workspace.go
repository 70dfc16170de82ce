package lsp

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/gitview"
	"github.com/opencenter-cloud/gitops-hook/internal/workspace"
)

// settings are what the client passes in initializationOptions and in
// workspace/didChangeConfiguration under "gitops"; they override
// .gitops.yaml.
type settings struct {
	Environments []string          `json:"environments,omitempty"`
	Mirrors      map[string]string `json:"mirrors,omitempty"`
	Offline      bool              `json:"offline,omitempty"`
	Rules        map[string]string `json:"rules,omitempty"`
}

// setup prepares an analysis of the repository at root seen through
// fsys with the shared workspace rules (internal/workspace): the
// configuration of the view's .gitops.yaml (an open buffer of it counts)
// with the client's settings laid over, the source resolver with the
// configured mirrors, and the origin remote. reuse is the previous
// resolver, kept when its mirrors and mode are unchanged so that opened
// repositories stay open. Problems with the settings are returned as
// warnings; only an unreadable configuration fails.
func setup(root string, fsys fs.FS, set settings, reuse *gitsrc.Resolver, getenv func(string) string) (opts analysis.Options, warnings []string, err error) {
	cfg, err := workspace.LoadConfig(fsys, "")
	if err != nil {
		return opts, nil, err
	}
	if len(set.Environments) > 0 {
		cfg.Environments = set.Environments
	}
	ids := make([]string, 0, len(set.Rules))
	for id := range set.Rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		sev, perr := diag.ParseSeverity(set.Rules[id])
		if _, ok := catalog.Lookup(id); !ok {
			warnings = append(warnings, fmt.Sprintf("settings: rules: %s is no rule ID (see gitops-hook rules)", id))
			continue
		}
		if perr != nil {
			warnings = append(warnings, fmt.Sprintf("settings: rules: %s: %v", id, perr))
			continue
		}
		cfg.Severities[id] = sev
	}
	wo := workspace.Options{Dir: root, Offline: set.Offline, CacheHome: getenv("XDG_CACHE_HOME")}
	urls := make([]string, 0, len(set.Mirrors))
	for u := range set.Mirrors {
		urls = append(urls, u)
	}
	sort.Strings(urls)
	for _, u := range urls {
		d := set.Mirrors[u]
		if !filepath.IsAbs(d) {
			d = filepath.Join(root, d)
		}
		if _, serr := os.Stat(d); serr != nil || u == "" {
			warnings = append(warnings, fmt.Sprintf("settings: mirrors: %s: %s does not exist", u, d))
			continue
		}
		wo.Mirrors = append(wo.Mirrors, u+"="+d)
	}
	res, err := workspace.NewResolver(cfg, root, wo)
	if err != nil {
		return opts, warnings, err
	}
	if reuse != nil && reuse.Offline == res.Offline && reuse.CacheDir == res.CacheDir && sameMirrors(reuse.Mirrors, res.Mirrors) {
		res = reuse
	}
	origin, _ := gitview.Origin(root)
	return analysis.Options{FS: fsys, Config: cfg, Origin: origin, Sources: res}, warnings, nil
}

func sameMirrors(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// looksLikeGitOps tells whether the folder holds anything the analysis is
// about, so that a server started on another kind of project stays quiet:
// a .gitops.yaml, an openCenter overlay tree, or a kustomization or Flux
// object among the first YAML files.
func looksLikeGitOps(root string) bool {
	if _, err := os.Stat(filepath.Join(root, config.FileName)); err == nil {
		return true
	}
	if st, err := os.Stat(filepath.Join(root, "applications", "overlays")); err == nil && st.IsDir() {
		return true
	}
	seen := 0
	found := false
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || found {
			return filepath.SkipDir
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "vendor", ".venv", "target":
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if name == "kustomization.yaml" || name == "kustomization.yml" || name == "Kustomization" {
			found = true
			return filepath.SkipAll
		}
		if !strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".yml") {
			return nil
		}
		if seen++; seen > 2000 {
			return filepath.SkipAll
		}
		if info, err := d.Info(); err != nil || info.Size() > 1<<20 {
			return nil
		}
		data, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(data), "toolkit.fluxcd.io/") {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

package lsp

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/rules"
	"github.com/opencenter-cloud/gitops-hook/internal/gitview"
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
// fsys, the way the CLI's check does: the configuration of the view's
// .gitops.yaml with the client's settings laid over, the source resolver
// with the configured mirrors (relative ones against root), and the origin
// remote. reuse is the previous resolver, kept when its mirrors and mode
// are unchanged so that opened repositories stay open. Problems with the
// settings are returned as warnings; only an unreadable configuration
// fails.
func setup(root string, fsys fs.FS, set settings, reuse *gitsrc.Resolver, getenv func(string) string) (opts analysis.Options, warnings []string, err error) {
	cfg, err := analysis.LoadConfig(fsys)
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
		if _, ok := rules.Lookup(id); !ok {
			warnings = append(warnings, fmt.Sprintf("settings: rules: %s is no rule ID (see gitops-hook rules)", id))
			continue
		}
		if perr != nil {
			warnings = append(warnings, fmt.Sprintf("settings: rules: %s: %v", id, perr))
			continue
		}
		cfg.Severities[id] = sev
	}
	mirrors := map[string]string{}
	for u, d := range cfg.Mirrors {
		if !filepath.IsAbs(d) {
			d = filepath.Join(root, d)
		}
		mirrors[u] = d
	}
	for u, d := range set.Mirrors {
		if !filepath.IsAbs(d) {
			d = filepath.Join(root, d)
		}
		if _, serr := os.Stat(d); serr != nil {
			warnings = append(warnings, fmt.Sprintf("settings: mirrors: %s: %s does not exist", u, d))
			continue
		}
		mirrors[u] = d
	}
	res := reuse
	if res == nil || res.Offline != set.Offline || !sameMirrors(res.Mirrors, mirrors) {
		res = &gitsrc.Resolver{Offline: set.Offline, Mirrors: mirrors}
		if base := getenv("XDG_CACHE_HOME"); base != "" {
			res.CacheDir = filepath.Join(base, "gitops-hook")
		} else if d, derr := os.UserCacheDir(); derr == nil {
			res.CacheDir = filepath.Join(d, "gitops-hook")
		}
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

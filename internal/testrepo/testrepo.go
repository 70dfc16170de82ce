// Package testrepo builds git repositories from txtar archives, so that
// fixtures for base repositories at several tags can be written by hand.
//
// In an archive, a file named "@TAG/path" belongs to the tree tagged TAG;
// each tag is a full snapshot, committed in the order tags first appear.
// "@main/path" (or any name starting with "@branch:") is committed last
// and left untagged on the main branch. Other files are ignored here.
package testrepo

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/rogpeppe/go-internal/txtar"
)

// Snapshot is one commit of the repository to build.
type Snapshot struct {
	Tag   string // "" for an untagged commit
	Files map[string][]byte
}

// Snapshots extracts the "@TAG/path" files of an archive, in order.
func Snapshots(a *txtar.Archive) []Snapshot {
	var order []string
	byTag := map[string]map[string][]byte{}
	for _, f := range a.Files {
		if !strings.HasPrefix(f.Name, "@") {
			continue
		}
		tag, p, ok := strings.Cut(f.Name[1:], "/")
		if !ok {
			continue
		}
		if _, seen := byTag[tag]; !seen {
			order = append(order, tag)
			byTag[tag] = map[string][]byte{}
		}
		byTag[tag][p] = f.Data
	}
	// The main branch, if present, comes last.
	sort.SliceStable(order, func(i, j int) bool { return order[j] == "main" && order[i] != "main" })
	var out []Snapshot
	for _, t := range order {
		s := Snapshot{Tag: t, Files: byTag[t]}
		if t == "main" {
			s.Tag = ""
		}
		out = append(out, s)
	}
	return out
}

// RepoFiles returns the files of an archive that are not base snapshots.
func RepoFiles(a *txtar.Archive) map[string][]byte {
	out := map[string][]byte{}
	for _, f := range a.Files {
		if !strings.HasPrefix(f.Name, "@") {
			out[f.Name] = f.Data
		}
	}
	return out
}

// Build writes a bare repository at dir with one commit per snapshot, on
// branch main, with lightweight tags. Commit times are fixed, a day apart,
// so builds are reproducible.
func Build(dir string, snaps []Snapshot) error {
	work, err := os.MkdirTemp("", "testrepo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	r, err := git.PlainInitWithOptions(work, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		return fmt.Errorf("init %s: %w", work, err)
	}
	wt, err := r.Worktree()
	if err != nil {
		return err
	}
	when := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i, s := range snaps {
		// Replace the whole tree with the snapshot.
		ents, _ := os.ReadDir(work)
		for _, e := range ents {
			if e.Name() != ".git" {
				if err := os.RemoveAll(filepath.Join(work, e.Name())); err != nil {
					return err
				}
			}
		}
		for p, data := range s.Files {
			full := filepath.Join(work, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(full, data, 0o644); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
			return fmt.Errorf("add: %w", err)
		}
		sig := &object.Signature{Name: "fixture", Email: "fixture@example.invalid", When: when.Add(time.Duration(i) * 24 * time.Hour)}
		msg := "snapshot"
		if s.Tag != "" {
			msg += " " + s.Tag
		}
		h, err := wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig, AllowEmptyCommits: true})
		if err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		if s.Tag != "" {
			if _, err := r.CreateTag(s.Tag, h, nil); err != nil {
				return fmt.Errorf("tag %s: %w", s.Tag, err)
			}
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	_, err = git.PlainClone(dir, true, &git.CloneOptions{URL: work, Tags: git.AllTags})
	if err != nil {
		return fmt.Errorf("clone into %s: %w", dir, err)
	}
	// Keep the bare repository self-contained: no pointer to the temp dir.
	bare, err := git.PlainOpen(dir)
	if err == nil {
		_ = bare.DeleteRemote("origin")
		_ = bare.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, plumbing.NewBranchReferenceName("main")))
		cfg, cerr := bare.Config()
		if cerr == nil {
			cfg.Remotes = map[string]*gitconfig.RemoteConfig{}
			_ = bare.SetConfig(cfg)
		}
	}
	return nil
}

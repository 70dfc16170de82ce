package gitview

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/config"
)

// ErrNotRepository is returned when no git repository encloses a directory.
var ErrNotRepository = errors.New("not a git repository")

// ErrBare is returned when a bare repository is asked for staged content.
var ErrBare = errors.New("bare repository: nothing is staged")

// Location says where the parts of a repository live on disk.
type Location struct {
	// Root is the work tree top-level; empty for a bare repository.
	Root string
	// GitDir is the repository directory of this work tree: ".git", or
	// ".git/worktrees/<name>" for a linked worktree.
	GitDir string
	// CommonDir holds what worktrees share (objects, refs, config, hooks);
	// it equals GitDir except in linked worktrees.
	CommonDir string
	// Bare is true when there is no work tree.
	Bare bool
}

// Locate finds the repository enclosing dir the way git does, honouring
// GIT_DIR and GIT_WORK_TREE as git sets them when it runs a hook (relative
// values are relative to the current directory, as for git itself).
func Locate(dir string) (Location, error) {
	return locate(dir, os.Getenv)
}

func locate(dir string, getenv func(string) string) (Location, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Location{}, fmt.Errorf("%s: %w", dir, err)
	}
	if gd := getenv("GIT_DIR"); gd != "" {
		return locateFromEnv(abs, gd, getenv("GIT_WORK_TREE"))
	}
	for d := abs; ; {
		dotgit := filepath.Join(d, ".git")
		if fi, err := os.Stat(dotgit); err == nil {
			gitDir := dotgit
			if !fi.IsDir() {
				if gitDir, err = readGitFile(dotgit); err != nil {
					return Location{}, err
				}
			}
			return withCommonDir(Location{Root: d, GitDir: gitDir})
		}
		if isGitDir(d) {
			// dir is itself a repository directory: a bare repository, or
			// somewhere inside .git, where there is no work tree either.
			return withCommonDir(Location{GitDir: d, Bare: true})
		}
		parent := filepath.Dir(d)
		if parent == d {
			return Location{}, fmt.Errorf("%s: %w (or any parent up to /)", abs, ErrNotRepository)
		}
		d = parent
	}
}

func locateFromEnv(dir, gitDir, workTree string) (Location, error) {
	gitDir, err := filepath.Abs(gitDir)
	if err != nil {
		return Location{}, fmt.Errorf("GIT_DIR %s: %w", gitDir, err)
	}
	if !isGitDir(gitDir) {
		return Location{}, fmt.Errorf("GIT_DIR %s: %w", gitDir, ErrNotRepository)
	}
	loc, err := withCommonDir(Location{GitDir: gitDir})
	if err != nil {
		return Location{}, err
	}
	switch {
	case workTree != "":
		if loc.Root, err = filepath.Abs(workTree); err != nil {
			return Location{}, fmt.Errorf("GIT_WORK_TREE %s: %w", workTree, err)
		}
	case isBareConfig(loc.CommonDir):
		loc.Bare = true
	default:
		// git treats the current directory as the top-level in this case;
		// when hooks run, git has already changed into it. Prefer the
		// enclosing directory whose .git leads to GIT_DIR, if there is one.
		loc.Root = dir
		for d := dir; ; d = filepath.Dir(d) {
			if sameGitDir(filepath.Join(d, ".git"), gitDir) {
				loc.Root = d
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return loc, nil
}

func sameGitDir(dotgit, gitDir string) bool {
	fi, err := os.Stat(dotgit)
	if err != nil {
		return false
	}
	target := dotgit
	if !fi.IsDir() {
		if target, err = readGitFile(dotgit); err != nil {
			return false
		}
	}
	a, errA := os.Stat(target)
	b, errB := os.Stat(gitDir)
	return errA == nil && errB == nil && os.SameFile(a, b)
}

// readGitFile follows a ".git" file ("gitdir: <path>"), as written for
// linked worktrees and submodules.
func readGitFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	target, ok := strings.CutPrefix(strings.TrimSpace(line), "gitdir:")
	if !ok {
		return "", fmt.Errorf("%s: not a gitdir file (no \"gitdir:\" line)", path)
	}
	target = strings.TrimSpace(target)
	if !filepath.IsAbs(target) {
		target = filepath.Join(filepath.Dir(path), target)
	}
	if !isGitDir(target) {
		return "", fmt.Errorf("%s: gitdir %s: %w", path, target, ErrNotRepository)
	}
	return target, nil
}

// withCommonDir fills CommonDir from the "commondir" file of a linked
// worktree's git directory.
func withCommonDir(loc Location) (Location, error) {
	loc.CommonDir = loc.GitDir
	b, err := os.ReadFile(filepath.Join(loc.GitDir, "commondir"))
	if errors.Is(err, os.ErrNotExist) {
		return loc, nil
	}
	if err != nil {
		return Location{}, fmt.Errorf("%s: %w", loc.GitDir, err)
	}
	common := strings.TrimSpace(string(b))
	if !filepath.IsAbs(common) {
		common = filepath.Join(loc.GitDir, common)
	}
	if fi, err := os.Stat(common); err != nil || !fi.IsDir() {
		return Location{}, fmt.Errorf("%s: commondir %s does not exist", loc.GitDir, common)
	}
	loc.CommonDir = filepath.Clean(common)
	return loc, nil
}

// isGitDir is git's own test: HEAD, plus objects and refs (possibly in the
// common directory of a linked worktree).
func isGitDir(dir string) bool {
	if fi, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil || fi.IsDir() {
		return false
	}
	if _, err := os.Stat(filepath.Join(dir, "commondir")); err == nil {
		return true
	}
	_, errO := os.Stat(filepath.Join(dir, "objects"))
	_, errR := os.Stat(filepath.Join(dir, "refs"))
	return errO == nil && errR == nil
}

func isBareConfig(commonDir string) bool {
	b, err := os.ReadFile(filepath.Join(commonDir, "config"))
	if err != nil {
		return false
	}
	cfg := config.NewConfig()
	if err := cfg.Unmarshal(b); err != nil {
		return bytes.Contains(b, []byte("bare = true"))
	}
	return cfg.Core.IsBare
}

// Package hookinstall installs and removes the pre-commit shim that runs
// "gitops-hook run". A foreign pre-commit hook already in place (such as
// openCenter's own, under core.hooksPath) is chained, never overwritten:
// it is moved next to the shim, which runs it first, and moved back on
// uninstall.
package hookinstall

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/config"

	"github.com/opencenter-cloud/gitops-hook/internal/gitview"
)

// HookName is the hook the shim is installed as.
const HookName = "pre-commit"

// ChainedName is where a foreign pre-commit hook is kept while chained.
const ChainedName = "pre-commit.gitops-hook-chained"

// Marker identifies the shim; it is how Install stays idempotent and how
// Uninstall knows the hook is its own.
const Marker = "# gitops-hook-shim: written by \"gitops-hook install\"; remove with \"gitops-hook uninstall\""

// ErrForeignHook is returned when a pre-commit hook that is not the shim
// exists and chaining it was not requested.
var ErrForeignHook = errors.New("a pre-commit hook that is not gitops-hook's already exists")

// Options of Install and Uninstall.
type Options struct {
	// RepoDir is any directory inside the repository's work tree.
	RepoDir string
	// Force chains an existing foreign hook when core.hooksPath is unset
	// (with core.hooksPath set, chaining is the default).
	Force bool
	// Bin is the gitops-hook binary the shim runs ("gitops-hook", looked
	// up on PATH, when empty); GITOPS_HOOK_BIN overrides it at run time.
	Bin string
}

// Result says what Install or Uninstall did.
type Result struct {
	// Hook is the path of the pre-commit hook written or removed.
	Hook string
	// HooksPath is the core.hooksPath setting in effect, if any.
	HooksPath string
	// Chained is the path of the foreign hook the shim runs first; empty
	// when there is none. After Uninstall it is empty.
	Chained string
	// Updated is set when Install rewrote an existing shim.
	Updated bool
	// Restored is the path a chained foreign hook was moved back to by
	// Uninstall.
	Restored string
	// Removed is set when Uninstall deleted the shim.
	Removed bool
}

// String is a one-line summary for people.
func (r Result) String() string {
	switch {
	case r.Restored != "":
		return fmt.Sprintf("removed the gitops-hook shim; restored the original hook at %s", r.Restored)
	case r.Removed:
		return fmt.Sprintf("removed the gitops-hook shim %s", r.Hook)
	case r.Chained != "" && r.Updated:
		return fmt.Sprintf("updated %s; it runs the existing hook %s first", r.Hook, r.Chained)
	case r.Chained != "":
		return fmt.Sprintf("installed %s; it runs the existing hook (now %s) first", r.Hook, r.Chained)
	case r.Updated:
		return fmt.Sprintf("updated %s", r.Hook)
	case r.Hook != "":
		return fmt.Sprintf("installed %s", r.Hook)
	}
	return "gitops-hook is not installed; nothing to do"
}

// Install writes the shim as the repository's pre-commit hook.
func Install(opts Options) (Result, error) {
	dir, hooksPath, err := HooksDir(opts.RepoDir)
	if err != nil {
		return Result{}, err
	}
	res := Result{Hook: filepath.Join(dir, HookName), HooksPath: hooksPath}
	chained := filepath.Join(dir, ChainedName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{}, fmt.Errorf("hooks directory %s: %w", dir, err)
	}
	own, exists, err := isShim(res.Hook)
	if err != nil {
		return Result{}, err
	}
	chainedExists, err := present(chained)
	if err != nil {
		return Result{}, err
	}
	switch {
	case exists && own:
		res.Updated = true
	case exists && chainedExists:
		// Someone replaced the shim after a hook was chained: two foreign
		// hooks and one slot. Moving either would lose one of them.
		return Result{}, fmt.Errorf("%s is not gitops-hook's and %s already holds a chained hook: "+
			"merge them by hand (or remove one), then install again", res.Hook, chained)
	case exists:
		if hooksPath == "" && !opts.Force {
			return Result{}, fmt.Errorf("%s: %w; run \"gitops-hook install --force\" to keep it and run it before gitops-hook", res.Hook, ErrForeignHook)
		}
		// Rename keeps the bytes, the mode, and a symbolic link as a link.
		if err := os.Rename(res.Hook, chained); err != nil {
			return Result{}, fmt.Errorf("chaining %s: %w", res.Hook, err)
		}
		chainedExists = true
	}
	if chainedExists {
		res.Chained = chained
	}
	if err := writeAtomic(res.Hook, Shim(opts.Bin), 0o755); err != nil {
		if !exists || own {
			return Result{}, err
		}
		// Put the foreign hook back where it was.
		if rerr := os.Rename(chained, res.Hook); rerr != nil {
			return Result{}, fmt.Errorf("%w; restoring %s from %s also failed: %v", err, res.Hook, chained, rerr)
		}
		return Result{}, err
	}
	return res, nil
}

// Uninstall removes the shim and puts back the hook it chained, exactly as
// it was. A pre-commit hook that is not the shim is left alone.
func Uninstall(opts Options) (Result, error) {
	dir, hooksPath, err := HooksDir(opts.RepoDir)
	if err != nil {
		return Result{}, err
	}
	res := Result{Hook: filepath.Join(dir, HookName), HooksPath: hooksPath}
	chained := filepath.Join(dir, ChainedName)
	own, exists, err := isShim(res.Hook)
	if err != nil {
		return Result{}, err
	}
	chainedExists, err := present(chained)
	if err != nil {
		return Result{}, err
	}
	if exists && !own {
		if chainedExists {
			return Result{}, fmt.Errorf("%s is not gitops-hook's; leaving it and %s alone", res.Hook, chained)
		}
		return Result{}, fmt.Errorf("%s is not gitops-hook's; leaving it alone", res.Hook)
	}
	if exists {
		if err := os.Remove(res.Hook); err != nil {
			return Result{}, fmt.Errorf("removing %s: %w", res.Hook, err)
		}
		res.Removed = true
	}
	if chainedExists {
		if err := os.Rename(chained, res.Hook); err != nil {
			return Result{}, fmt.Errorf("restoring %s from %s: %w", res.Hook, chained, err)
		}
		res.Restored = res.Hook
	}
	if !res.Removed && res.Restored == "" {
		res.Hook = ""
	}
	return res, nil
}

// HooksDir is where git looks for hooks in the repository enclosing
// repoDir, and the core.hooksPath setting that put it there (empty when
// unset). Linked worktrees share the hooks of the main repository.
func HooksDir(repoDir string) (dir, hooksPath string, err error) {
	loc, err := gitview.Locate(repoDir)
	if err != nil {
		return "", "", err
	}
	if loc.Bare {
		return "", "", fmt.Errorf("%s: bare repository: nothing is committed there, so there is no pre-commit hook to install", loc.GitDir)
	}
	hooksPath, err = configuredHooksPath(loc)
	if err != nil {
		return "", "", err
	}
	switch {
	case hooksPath == "":
		return filepath.Join(loc.CommonDir, "hooks"), "", nil
	case hooksPath == "~" || strings.HasPrefix(hooksPath, "~/"):
		home, err := os.UserHomeDir()
		if err != nil {
			return "", "", fmt.Errorf("core.hooksPath %s: %w", hooksPath, err)
		}
		return filepath.Join(home, hooksPath[1:]), hooksPath, nil
	case filepath.IsAbs(hooksPath):
		return filepath.Clean(hooksPath), hooksPath, nil
	}
	// git runs hooks from the top-level, so a relative path is relative
	// to it.
	return filepath.Join(loc.Root, hooksPath), hooksPath, nil
}

// configuredHooksPath reads core.hooksPath the way git resolves it: the
// worktree's config.worktree (when extensions.worktreeConfig is on), then
// the repository config, then the user's global config. go-git does not
// follow include directives, so a setting only reachable through one is
// not seen.
func configuredHooksPath(loc gitview.Location) (string, error) {
	files := []string{filepath.Join(loc.GitDir, "config.worktree"), filepath.Join(loc.CommonDir, "config")}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", file, err)
		}
		cfg := config.NewConfig()
		if err := cfg.Unmarshal(b); err != nil {
			return "", fmt.Errorf("%s: %w", file, err)
		}
		if cfg.Raw.Section("core").HasOption("hooksPath") {
			return cfg.Raw.Section("core").Option("hooksPath"), nil
		}
	}
	global, err := config.LoadConfig(config.GlobalScope)
	if err != nil {
		// A broken global config is git's to report; the local one decides.
		return "", nil
	}
	return global.Raw.Section("core").Option("hooksPath"), nil
}

// isShim reports whether the hook at path exists and is the shim.
func isShim(path string) (own, exists bool, err error) {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return false, false, nil
	} else if err != nil {
		return false, false, fmt.Errorf("%s: %w", path, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		// A dangling symbolic link, say: foreign, and kept as it is.
		return false, true, nil
	}
	return bytes.Contains(b, []byte(Marker)), true, nil
}

func present(path string) (bool, error) {
	_, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return true, nil
}

// writeAtomic replaces path in one rename, so git never runs half a shim.
func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".gitops-hook-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, mode)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

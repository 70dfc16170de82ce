package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/gitview"
	"github.com/opencenter-cloud/gitops-hook/internal/workspace"
)

// registerSourceFlags registers the common flags that say where sources
// are read and how output looks, for the commands that render rather than
// report findings (their --format differs).
func (c *common) registerSourceFlags(fs *flag.FlagSet) {
	c.register(fs, sourceFlags)
	fs.BoolVar(&c.noColor, "no-color", false, "disable colours (NO_COLOR is honoured too)")
}

// ErrUnknownRevision is returned for a revision git does not know.
var ErrUnknownRevision = errors.New("unknown revision")

// repoState is the repository as one revision, the index or the working
// tree has it.
type repoState struct {
	label string // "working tree", "index", or the revision
	fsys  fs.FS
}

// stateOf opens the workspace's repository as the working tree (staged and
// rev unset), the index (staged) or a revision (rev, read with go-git).
func stateOf(ws *workspace.Workspace, staged bool, rev string) (*repoState, error) {
	switch {
	case staged:
		v, err := gitview.Staged(ws.Root)
		if err != nil {
			return nil, fmt.Errorf("reading the index: %w", err)
		}
		rel, err := filepath.Rel(v.Root(), ws.Root)
		if err != nil {
			return nil, err
		}
		return &repoState{label: "index", fsys: subFS(v, filepath.ToSlash(rel))}, nil
	case rev != "":
		fsys, err := revisionFS(ws.Root, rev)
		if err != nil {
			return nil, err
		}
		return &repoState{label: rev, fsys: fsys}, nil
	}
	return &repoState{label: "working tree", fsys: ws.FS()}, nil
}

// revisionFS reads the tree of a revision (anything go-git resolves:
// HEAD~1, a branch, a tag, a hash) below the repository root.
func revisionFS(root, rev string) (fs.FS, error) {
	loc, err := gitview.Locate(root)
	if err != nil {
		return nil, fmt.Errorf("--revision %s: %w", rev, err)
	}
	repo, err := git.PlainOpenWithOptions(loc.Root, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return nil, fmt.Errorf("--revision %s: %s: %w", rev, loc.Root, err)
	}
	h, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return nil, fmt.Errorf("%w %q in %s: %v (a shallow clone may not have it: git fetch --unshallow)", ErrUnknownRevision, rev, loc.Root, err)
	}
	commit, err := repo.CommitObject(*h)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v (a shallow clone may not have it: git fetch --unshallow)", ErrUnknownRevision, rev, err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return nil, fmt.Errorf("revision %s: %w", rev, err)
	}
	rel, err := filepath.Rel(loc.Root, root)
	if err == nil && rel != "." {
		if tree, err = tree.Tree(filepath.ToSlash(rel)); err != nil {
			return nil, fmt.Errorf("revision %s has no folder %s: %w", rev, rel, err)
		}
	}
	return gitsrc.NewTreeFS(tree, commit.Committer.When, &sync.Mutex{}), nil
}

// loadState builds the model of the repository in one state.
func loadState(ctx context.Context, ws *workspace.Workspace, st *repoState) *analysis.Snapshot {
	opts := ws.Analysis()
	opts.FS = st.fsys
	return analysis.Load(ctx, opts, ws.Config)
}

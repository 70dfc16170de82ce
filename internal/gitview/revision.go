package gitview

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
)

// ErrUnknownRevision is returned for a revision the repository does not
// have (a typo, or a shallow clone that lacks it).
var ErrUnknownRevision = errors.New("unknown revision")

// Revision reads the tree of a revision (anything go-git resolves: HEAD~1,
// a branch, a tag, a hash) of the repository enclosing dir, below dir.
func Revision(dir, rev string) (fs.FS, error) {
	loc, err := Locate(dir)
	if err != nil {
		return nil, fmt.Errorf("revision %s: %w", rev, err)
	}
	repo, err := git.PlainOpenWithOptions(loc.Root, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return nil, fmt.Errorf("revision %s: %s: %w", rev, loc.Root, err)
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
	if rel, err := filepath.Rel(loc.Root, dir); err == nil && rel != "." {
		if tree, err = tree.Tree(filepath.ToSlash(rel)); err != nil {
			return nil, fmt.Errorf("revision %s has no folder %s: %w", rev, rel, err)
		}
	}
	return gitsrc.NewTreeFS(tree, commit.Committer.When, &sync.Mutex{}), nil
}

package cli

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
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
		fsys, err := gitview.Revision(ws.Root, rev)
		if err != nil {
			return nil, err
		}
		return &repoState{label: rev, fsys: fsys}, nil
	}
	return &repoState{label: "working tree", fsys: ws.FS()}, nil
}

// loadState builds the model of the repository in one state.
func loadState(ctx context.Context, ws *workspace.Workspace, st *repoState) *analysis.Model {
	opts := ws.Analysis()
	opts.FS = st.fsys
	return analysis.Load(ctx, opts, ws.Config)
}

// Package gitview exposes git content as read-only fs.FS views: what the
// index would commit (for the pre-commit hook) and the tree of a revision
// (for bases pinned at a tag). It never writes to a repository.
package gitview

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
)

// Index is the content git would commit: the stage-0 entries of the index,
// read from their blobs. It implements fs.FS, fs.ReadDirFS, fs.ReadFileFS,
// fs.StatFS and fs.ReadLinkFS. Paths are slash-separated and relative to
// the work tree top-level. Submodules (gitlinks) and intent-to-add entries
// are absent; symbolic links are present but never followed.
type Index struct {
	*blobFS
	loc       Location
	indexFile string
	changes   []Change
}

// Root is the work tree top-level.
func (v *Index) Root() string { return v.loc.Root }

// GitDir is the repository directory of this work tree (for a linked
// worktree, its private directory under the common one).
func (v *Index) GitDir() string { return v.loc.GitDir }

// IndexFile is the index that was read (GIT_INDEX_FILE when git set it).
func (v *Index) IndexFile() string { return v.indexFile }

// Changes lists the staged changes against HEAD, sorted by path.
func (v *Index) Changes() []Change {
	return append([]Change(nil), v.changes...)
}

// Staged reads the index of the repository enclosing repoDir. When git runs
// a hook it names the index in GIT_INDEX_FILE (a temporary one during
// "git commit -a" or "git commit <paths>"); that file is read then.
func Staged(repoDir string) (*Index, error) {
	return staged(repoDir, os.Getenv)
}

func staged(repoDir string, getenv func(string) string) (*Index, error) {
	loc, err := locate(repoDir, getenv)
	if err != nil {
		return nil, err
	}
	if loc.Bare {
		return nil, fmt.Errorf("%s: %w", loc.GitDir, ErrBare)
	}
	indexFile := filepath.Join(loc.GitDir, "index")
	if f := getenv("GIT_INDEX_FILE"); f != "" {
		if indexFile, err = filepath.Abs(f); err != nil {
			return nil, fmt.Errorf("GIT_INDEX_FILE %s: %w", f, err)
		}
	}
	idx, err := readIndex(indexFile)
	if err != nil {
		return nil, err
	}
	repo, err := openStorage(loc)
	if err != nil {
		return nil, err
	}

	files := map[string]blobEntry{}
	var conflicts []string
	for _, e := range idx.Entries {
		switch {
		case e.Stage != 0:
			// go-git's index.Merged constant is 1, but merged entries
			// decode as stage 0; compare with the number.
			if n := len(conflicts); n == 0 || conflicts[n-1] != e.Name {
				conflicts = append(conflicts, e.Name)
			}
		case e.IntentToAdd, e.Mode == filemode.Submodule, e.Mode == filemode.Dir:
			// "git add -N" placeholders are not committed; submodules
			// are other repositories.
		default:
			if !validIndexPath(e.Name) {
				return nil, fmt.Errorf("%s: invalid path %q in index", indexFile, e.Name)
			}
			files[e.Name] = blobEntry{hash: e.Hash, mode: e.Mode}
		}
	}
	v := &Index{blobFS: newBlobFS(repo.Storer, files), loc: loc, indexFile: indexFile}
	v.blobFS.work = loc.Root
	if v.changes, err = diffHead(repo, v.blobFS, files, conflicts); err != nil {
		return nil, fmt.Errorf("%s: comparing the index with HEAD: %w", loc.GitDir, err)
	}
	return v, nil
}

func readIndex(file string) (*index.Index, error) {
	idx := &index.Index{Version: 2}
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		// A fresh repository has no index until something is added.
		return idx, nil
	}
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", file, err)
	}
	defer f.Close()
	if err := index.NewDecoder(f).Decode(idx); err != nil {
		if errors.Is(err, index.ErrUnknownExtension) {
			err = fmt.Errorf("%w (split or sparse index are not supported)", err)
		}
		return nil, fmt.Errorf("index %s: corrupt or unsupported: %w", file, err)
	}
	return idx, nil
}

// openStorage opens the object and reference storage read-only in
// practice: nothing here calls a writing method.
func openStorage(loc Location) (*git.Repository, error) {
	dotFS := osfs.New(loc.GitDir)
	var repoFS billy.Filesystem = dotFS
	if loc.CommonDir != loc.GitDir {
		repoFS = dotgit.NewRepositoryFilesystem(dotFS, osfs.New(loc.CommonDir))
	}
	st := filesystem.NewStorageWithOptions(repoFS, cache.NewObjectLRUDefault(),
		filesystem.Options{LargeObjectThreshold: view.MaxFileSize})
	repo, err := git.Open(st, nil)
	if err != nil && !errors.Is(err, git.ErrWorktreeNotProvided) {
		return nil, fmt.Errorf("%s: %w", loc.GitDir, err)
	}
	return repo, nil
}

// validIndexPath refuses names that would escape the view or confuse
// fs.FS users; git itself refuses them too.
func validIndexPath(name string) bool {
	return fs.ValidPath(name) && name != "."
}

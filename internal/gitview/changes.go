package gitview

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Kind of a staged change.
type Kind int

const (
	Added Kind = iota + 1
	Modified
	Deleted
	Renamed
	// Conflict marks an unmerged path (merge, rebase, cherry-pick in
	// progress); it is absent from the Index.
	Conflict
)

func (k Kind) String() string {
	switch k {
	case Added:
		return "added"
	case Modified:
		return "modified"
	case Deleted:
		return "deleted"
	case Renamed:
		return "renamed"
	case Conflict:
		return "conflict"
	}
	return "invalid"
}

// Change is one staged path. OldPath is set for renames only.
type Change struct {
	Path    string
	OldPath string
	Kind    Kind
}

// renameThreshold is git's default similarity for rename detection (50%).
const renameThreshold = 50

// maxRenamePairs bounds the pairwise similarity work, like diff.renameLimit.
const maxRenamePairs = 10000

// maxRenameBlob bounds the blobs compared for inexact renames.
const maxRenameBlob = 1 << 20

func diffHead(repo *git.Repository, b *blobFS, staged map[string]blobEntry, conflicts []string) ([]Change, error) {
	head, err := headFiles(repo)
	if err != nil {
		return nil, err
	}
	unmerged := map[string]bool{}
	var out []Change
	for _, p := range conflicts {
		unmerged[p] = true
		out = append(out, Change{Path: p, Kind: Conflict})
	}
	var added, deleted []string
	for p, e := range staged {
		old, ok := head[p]
		switch {
		case !ok:
			added = append(added, p)
		case old != e:
			out = append(out, Change{Path: p, Kind: Modified})
		}
	}
	for p := range head {
		if _, ok := staged[p]; !ok && !unmerged[p] {
			deleted = append(deleted, p)
		}
	}
	sort.Strings(added)
	sort.Strings(deleted)
	renames := detectRenames(b, head, staged, added, deleted)
	for _, p := range added {
		if old, ok := renames[p]; ok {
			out = append(out, Change{Path: p, OldPath: old, Kind: Renamed})
		} else {
			out = append(out, Change{Path: p, Kind: Added})
		}
	}
	renamedFrom := map[string]bool{}
	for _, old := range renames {
		renamedFrom[old] = true
	}
	for _, p := range deleted {
		if !renamedFrom[p] {
			out = append(out, Change{Path: p, Kind: Deleted})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// headFiles lists HEAD's files; none before the first commit.
func headFiles(repo *git.Repository) (map[string]blobEntry, error) {
	files := map[string]blobEntry{}
	ref, err := repo.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return files, nil
	}
	if err != nil {
		return nil, fmt.Errorf("HEAD: %w", err)
	}
	commit, err := repo.CommitObject(ref.Hash())
	if err != nil {
		return nil, fmt.Errorf("HEAD commit %s: %w", ref.Hash(), err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return nil, fmt.Errorf("HEAD tree: %w", err)
	}
	return treeFiles(tree)
}

func treeFiles(tree *object.Tree) (map[string]blobEntry, error) {
	files := map[string]blobEntry{}
	w := object.NewTreeWalker(tree, true, nil)
	defer w.Close()
	for {
		name, e, err := w.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("tree %s: %w", tree.Hash, err)
		}
		if e.Mode == filemode.Dir || e.Mode == filemode.Submodule {
			continue
		}
		files[name] = blobEntry{hash: e.Hash, mode: e.Mode}
	}
}

// detectRenames pairs deleted with added paths: identical blobs first, then
// files at least renameThreshold% similar by lines, as git reports them.
// It returns new path -> old path.
func detectRenames(b *blobFS, head, staged map[string]blobEntry, added, deleted []string) map[string]string {
	renames := map[string]string{}
	if len(added) == 0 || len(deleted) == 0 {
		return renames
	}
	byHash := map[plumbing.Hash][]string{}
	for _, p := range deleted {
		byHash[head[p].hash] = append(byHash[head[p].hash], p)
	}
	used := map[string]bool{}
	for _, p := range added {
		for _, old := range byHash[staged[p].hash] {
			if !used[old] {
				renames[p], used[old] = old, true
				break
			}
		}
	}
	var newLeft, oldLeft []string
	for _, p := range added {
		if _, ok := renames[p]; !ok && staged[p].mode != filemode.Symlink {
			newLeft = append(newLeft, p)
		}
	}
	for _, p := range deleted {
		if !used[p] && head[p].mode != filemode.Symlink {
			oldLeft = append(oldLeft, p)
		}
	}
	if len(newLeft) == 0 || len(oldLeft) == 0 || len(newLeft)*len(oldLeft) > maxRenamePairs {
		return renames
	}
	type pair struct {
		newP, oldP string
		score      int
	}
	var pairs []pair
	type lineSet struct {
		lines map[string]int
		size  int
		ok    bool
	}
	oldSets := map[string]lineSet{}
	for _, np := range newLeft {
		nl, nsize, ok := blobLines(b, np, staged[np])
		if !ok {
			continue
		}
		for _, op := range oldLeft {
			os, seen := oldSets[op]
			if !seen {
				os.lines, os.size, os.ok = blobLines(b, op, head[op])
				oldSets[op] = os
			}
			if !os.ok {
				continue
			}
			if s := similarity(nl, os.lines, nsize, os.size); s >= renameThreshold {
				pairs = append(pairs, pair{np, op, s})
			}
		}
	}
	sort.SliceStable(pairs, func(i, j int) bool { return pairs[i].score > pairs[j].score })
	for _, pr := range pairs {
		if _, done := renames[pr.newP]; done || used[pr.oldP] {
			continue
		}
		renames[pr.newP], used[pr.oldP] = pr.oldP, true
	}
	return renames
}

func blobLines(b *blobFS, name string, e blobEntry) (map[string]int, int, bool) {
	if n, err := b.size(e.hash); err != nil || n > maxRenameBlob {
		return nil, 0, false
	}
	data, err := b.read(name, e)
	if err != nil {
		return nil, 0, false
	}
	lines, size := map[string]int{}, len(data)
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n') + 1
		if i == 0 {
			i = len(data)
		}
		lines[string(data[:i])]++
		data = data[i:]
	}
	return lines, size, true
}

// similarity is the share of bytes in common lines, relative to the larger
// file, in percent.
func similarity(a, b map[string]int, asize, bsize int) int {
	larger := max(asize, bsize)
	if larger == 0 {
		return 100
	}
	common := 0
	for l, n := range a {
		common += len(l) * min(n, b[l])
	}
	return common * 100 / larger
}

package lsp

import (
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/opencenter-cloud/gitops-hook/internal/treecache"
	"github.com/opencenter-cloud/gitops-hook/internal/workspace"
)

// disk is the workspace folder as the analyses read it: opened once, and
// kept in memory (treecache) while the server's file watcher follows every
// folder of it, each change the watcher or the client reports dropping
// what it touches. Without a complete watcher every analysis reads the
// disk.
type disk struct {
	mu      sync.Mutex
	root    string
	info    os.FileInfo // of root when opened: a folder replaced is opened again
	fsys    fs.FS
	close   func()
	tree    *treecache.Tree
	watched bool // the watcher follows every folder
}

// open returns the tree of root, opening it again when root is another
// folder than the one opened (deleted and created again, say).
func (d *disk) open(root string) (fs.FS, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fsys == nil || d.root != root || !os.SameFile(info, d.info) {
		d.release()
		fsys, closeFn, err := workspace.OpenFS(root)
		if err != nil {
			return nil, err
		}
		d.root, d.info, d.fsys, d.close = root, info, fsys, closeFn
		d.tree = treecache.New(fsys, treecache.Options{Uncached: unwatched})
	}
	if d.watched {
		return d.tree, nil
	}
	// Unwatched, no change is reported: the handles of subfolders kept
	// by the last analysis may read folders since replaced.
	if f, ok := d.fsys.(forgetter); ok {
		f.Forget(".")
	}
	return d.fsys, nil
}

// unwatched tells whether a repository path lies in a folder the watcher
// skips.
func unwatched(p string) bool {
	for part := range strings.SplitSeq(p, "/") {
		if watchIgnored(part) {
			return true
		}
	}
	return false
}

// watching says whether the watcher follows every folder; when it stops
// (out of watches, events lost) nothing kept can be trusted.
func (d *disk) watching(complete bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.watched = complete
	d.reset()
}

// lost drops everything kept: the watcher lost events.
func (d *disk) lost() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reset()
}

// reset drops what is kept of the folder's content and handles.
func (d *disk) reset() {
	if f, ok := d.fsys.(forgetter); ok {
		f.Forget(".")
	}
	if d.tree != nil {
		d.tree.Reset()
	}
}

// forgetter is the opened folder's way to drop the handles it keeps of
// subfolders (workspace.OpenFS): a handle goes on reading the folder it
// opened, even once that one is removed and another takes its name.
type forgetter interface{ Forget(dir string) }

// changed drops what is kept of a repository path.
func (d *disk) changed(p string) {
	d.mu.Lock()
	t, fsys := d.tree, d.fsys
	d.mu.Unlock()
	if f, ok := fsys.(forgetter); ok {
		f.Forget(p)
	}
	if t != nil {
		t.Invalidate(p)
	}
}

// release closes the opened folder. The views of earlier analyses that
// requests still read keep working on what they kept or fail to read.
func (d *disk) release() {
	if d.close != nil {
		d.close()
	}
	d.fsys, d.close, d.tree = nil, nil, nil
}

// Close releases the folder.
func (d *disk) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.release()
}

package lsp

import (
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watchIgnored are folders whose churn says nothing about the repository
// content: git's own files, and dependency trees.
func watchIgnored(name string) bool {
	return name == ".git" || name == "node_modules" || name == ".venv"
}

// watch follows changes made outside the editor (git checkout, git pull,
// a promotion from the command line) with the server's own watcher, since
// many clients send no workspace/didChangeWatchedFiles. Every change
// re-analyses, debounced by the analysis loop, and drops what the server
// keeps of the changed path (disk).
func (s *Server) watch(root string) (io.Closer, error) {
	fw := &folderWatch{s: s, root: root}
	if err := fw.start(); err != nil {
		return nil, err
	}
	return fw, nil
}

// folderWatch is the server's watcher of the workspace folder. A folder
// moved within the tree makes it start again: inotify keeps one watch
// per folder, fsnotify drops it when the folder moves, and adding the
// folder under its new name races with that drop, so that a folder moved
// away and back may end up unwatched. Until the new watcher follows every
// folder, analyses read the disk.
type folderWatch struct {
	s    *Server
	root string

	mu      sync.Mutex
	w       *fsnotify.Watcher
	restart *time.Timer
	closed  bool
}

// restartDelay lets the moves of a checkout settle before watching anew.
const restartDelay = 300 * time.Millisecond

func (fw *folderWatch) start() error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	complete := fw.add(w, fw.root)
	fw.mu.Lock()
	if fw.closed {
		fw.mu.Unlock()
		return w.Close()
	}
	old := fw.w
	fw.w = w
	fw.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	// Whatever changed before the new watcher was in place is read anew.
	fw.s.disk.watching(complete)
	go fw.loop(w)
	return nil
}

// add watches dir and the folders below it; false when some could not
// be watched.
func (fw *folderWatch) add(w *fsnotify.Watcher, dir string) bool {
	complete := true
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if p != dir && watchIgnored(d.Name()) {
			return filepath.SkipDir
		}
		if err := w.Add(p); err != nil {
			fw.s.logOnly("watch %s: %v (every analysis reads the disk again)", p, err)
			complete = false
			return filepath.SkipAll // out of watches: the rest is seen on edits
		}
		return nil
	})
	return complete
}

// folderMoved stops trusting what is kept of the disk and starts the
// watcher again once moves pause.
func (fw *folderWatch) folderMoved() {
	fw.s.disk.watching(false)
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if fw.closed {
		return
	}
	if fw.restart != nil {
		fw.restart.Reset(restartDelay)
		return
	}
	fw.restart = time.AfterFunc(restartDelay, func() {
		defer fw.s.recoverTo("the file watcher")
		if err := fw.start(); err != nil {
			fw.s.logf("file watcher: %v (changes made outside the editor are seen on the next edit)", err)
		}
		fw.s.changed()
	})
}

func (fw *folderWatch) loop(w *fsnotify.Watcher) {
	defer fw.s.recoverTo("the file watcher")
	s := fw.s
	for {
		select {
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			r := rel(fw.root, ev.Name)
			if r == "" {
				continue
			}
			s.disk.changed(r) // whatever it is: a generator reads any file
			if ev.Has(fsnotify.Rename) && fw.watchedFolder(w, ev.Name) {
				fw.folderMoved()
			}
			if ev.Has(fsnotify.Create) {
				if st, err := os.Lstat(ev.Name); err == nil && st.IsDir() {
					if !fw.add(w, ev.Name) {
						s.disk.watching(false)
					}
					// What was written in the new folder before its watch
					// was in place raised no event: read it all again.
					s.disk.changed(r)
				}
			}
			if ignoredPath(r) && !generatorInput(fw.root, r) {
				continue
			}
			if ev.Has(fsnotify.Write) && s.isOpen(ev.Name) {
				continue // the buffer, not the disk, is analysed
			}
			if ev.Has(fsnotify.Chmod) && !ev.Has(fsnotify.Write) && !ev.Has(fsnotify.Create) && !ev.Has(fsnotify.Remove) && !ev.Has(fsnotify.Rename) {
				continue
			}
			s.logOnly("changed on disk: %s", r)
			s.changed()
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			s.logOnly("file watcher: %v (what is kept of the disk is read again)", err)
			s.disk.lost()
		}
	}
}

// watchedFolder tells whether a path that moved away was a folder the
// watcher followed.
func (fw *folderWatch) watchedFolder(w *fsnotify.Watcher, p string) bool {
	return slices.Contains(w.WatchList(), p)
}

// Close stops watching.
func (fw *folderWatch) Close() error {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	fw.closed = true
	if fw.restart != nil {
		fw.restart.Stop()
	}
	if fw.w == nil {
		return nil
	}
	return fw.w.Close()
}

// ignoredPath tells whether a change of a repository path cannot change
// the analysis: inside an ignored folder, or a file that is neither YAML
// nor a kustomization (editor swap files, documentation). Paths without
// an extension may be folders and count.
func ignoredPath(r string) bool {
	parts := strings.Split(r, "/")
	for _, part := range parts {
		if watchIgnored(part) {
			return true
		}
	}
	name := parts[len(parts)-1]
	switch ext := filepath.Ext(name); {
	case ext == "" || ext == ".yaml" || ext == ".yml":
		return strings.HasSuffix(name, "~")
	case name == "Kustomization":
		return false
	}
	return true
}

// generatorInput tells whether a file that is not YAML may still be read
// by a build: a generator's input (an .env or .properties file, a
// script) lies in or below a folder holding a kustomization. Editor
// backups and swap files are not.
func generatorInput(root, r string) bool {
	name := path.Base(r)
	if strings.HasSuffix(name, "~") || name == "4913" || strings.HasPrefix(name, ".") && (strings.HasSuffix(name, ".swp") || strings.HasSuffix(name, ".swx")) {
		return false
	}
	for _, part := range strings.Split(r, "/") {
		if watchIgnored(part) {
			return false
		}
	}
	for d := path.Dir(r); ; d = path.Dir(d) {
		for _, k := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(d), k)); err == nil {
				return true
			}
		}
		if d == "." {
			return false
		}
	}
}

func (s *Server) isOpen(abs string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.docs[filepath.Clean(abs)]
	return ok
}

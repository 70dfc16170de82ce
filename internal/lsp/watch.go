package lsp

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

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
// re-analyses, debounced by the analysis loop.
func (s *Server) watch(root string) (io.Closer, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	// add watches dir and the folders below it; false when some could
	// not be watched.
	add := func(dir string) bool {
		complete := true
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			if p != dir && watchIgnored(d.Name()) {
				return filepath.SkipDir
			}
			if err := w.Add(p); err != nil {
				s.logOnly("watch %s: %v (every analysis reads the disk again)", p, err)
				complete = false
				return filepath.SkipAll // out of watches: the rest is seen on edits
			}
			return nil
		})
		return complete
	}
	s.disk.watching(add(root))
	go func() {
		defer s.recoverTo("the file watcher")
		for {
			select {
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				r := rel(root, ev.Name)
				if r == "" {
					continue
				}
				s.disk.changed(r) // whatever it is: a generator reads any file
				if ev.Has(fsnotify.Create) {
					if st, err := os.Lstat(ev.Name); err == nil && st.IsDir() && !add(ev.Name) {
						s.disk.watching(false)
					}
				}
				if ignoredPath(r) {
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
	}()
	return w, nil
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

func (s *Server) isOpen(abs string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.docs[filepath.Clean(abs)]
	return ok
}

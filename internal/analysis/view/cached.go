package view

import (
	"io/fs"
	"sync"
)

// CachedFS returns a read-only fs.FS over the view that remembers what it
// read: the view is a snapshot, and renders of many Flux Kustomizations
// read the same files again and again. Parsed YAML files are served from
// the view's own memo.
func (v *View) CachedFS() fs.FS { return v.cached }

type statEntry struct {
	info fs.FileInfo
	err  error
}

type dirEntry struct {
	ents []fs.DirEntry
	err  error
}

type cachedFS struct {
	v     *View
	mu    sync.Mutex
	stats map[string]statEntry
	dirs  map[string]dirEntry
	data  map[string][]byte
}

func (c *cachedFS) Open(name string) (fs.File, error) { return c.v.FS.Open(name) }

func (c *cachedFS) Stat(name string) (fs.FileInfo, error) {
	c.mu.Lock()
	e, ok := c.stats[name]
	c.mu.Unlock()
	if ok {
		return e.info, e.err
	}
	info, err := fs.Stat(c.v.FS, name)
	c.mu.Lock()
	c.stats[name] = statEntry{info, err}
	c.mu.Unlock()
	return info, err
}

func (c *cachedFS) ReadDir(name string) ([]fs.DirEntry, error) {
	c.mu.Lock()
	e, ok := c.dirs[name]
	c.mu.Unlock()
	if ok {
		return e.ents, e.err
	}
	ents, err := fs.ReadDir(c.v.FS, name)
	c.mu.Lock()
	c.dirs[name] = dirEntry{ents, err}
	c.mu.Unlock()
	return ents, err
}

// ReadFile returns the file's bytes; callers must not modify them.
func (c *cachedFS) ReadFile(name string) ([]byte, error) {
	c.v.mu.Lock()
	f, ok := c.v.yamls[name]
	c.v.mu.Unlock()
	if ok {
		return f.Src, nil
	}
	c.mu.Lock()
	data, ok := c.data[name]
	c.mu.Unlock()
	if ok {
		return data, nil
	}
	data, err := c.v.Read(name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.data[name] = data
	c.mu.Unlock()
	return data, nil
}

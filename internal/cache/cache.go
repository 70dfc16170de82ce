// Package cache is a folder of entries shared by the processes of one
// user (the hook in several worktrees, check, the language server): the
// builds and validations of an analysis, so that the next run reuses
// those whose inputs did not change.
//
// An entry is written to a temporary file and renamed into place, so a
// reader sees a whole entry or none, and two processes writing the same
// entry both succeed. Every entry carries a header and a checksum of its
// key and content: a damaged, truncated or foreign file is ignored (and
// removed), never trusted. The folder is bounded in size: Trim removes the
// least recently used entries. A folder that cannot be written turns the
// cache off for the process, with one notice.
package cache

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxBytes bounds a cache folder unless told otherwise.
const DefaultMaxBytes = 512 << 20

// maxEntry bounds one entry: a larger file is not read.
const maxEntry = 64 << 20

const magic = "gitops-hook cache 1\n"

// Dir is a cache folder. The zero of *Dir (nil) is a cache that holds
// nothing. Safe for concurrent use.
type Dir struct {
	root   string
	max    int64
	notice func(string)

	off     atomic.Bool // writing failed: no more writes
	once    sync.Once   // notice given
	written atomic.Int64
	hits    atomic.Int64
	misses  atomic.Int64
}

// Open returns the cache in folder root (created on first write), bounded
// to max bytes (0: DefaultMaxBytes). notice, when not nil, is told once,
// in one line, when the cache cannot be used.
func Open(root string, max int64, notice func(string)) *Dir {
	if max <= 0 {
		max = DefaultMaxBytes
	}
	return &Dir{root: root, max: max, notice: notice}
}

// Root is the folder.
func (d *Dir) Root() string {
	if d == nil {
		return ""
	}
	return d.root
}

func (d *Dir) path(key string) (string, bool) {
	if len(key) < 8 || strings.ContainsAny(key, "/\\.") {
		return "", false
	}
	return filepath.Join(d.root, key[:2], key[2:]), true
}

// sum binds an entry's content to its key.
func sum(key string, data []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write(data)
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}

// Get returns the content stored under key (a hex string), if an intact
// entry is there.
func (d *Dir) Get(key string) ([]byte, bool) {
	if d == nil {
		return nil, false
	}
	p, ok := d.path(key)
	if !ok {
		return nil, false
	}
	data, err := readCapped(p)
	if err != nil {
		d.misses.Add(1)
		return nil, false
	}
	head := len(magic) + 32
	if len(data) < head || string(data[:len(magic)]) != magic {
		d.drop(p)
		return nil, false
	}
	body := data[head:]
	if s := sum(key, body); !bytes.Equal(s[:], data[len(magic):head]) {
		d.drop(p)
		return nil, false
	}
	d.hits.Add(1)
	// Entries used are kept by Trim; the time is refreshed now and then
	// rather than at every read.
	if info, err := os.Stat(p); err == nil && time.Since(info.ModTime()) > time.Hour {
		now := time.Now()
		_ = os.Chtimes(p, now, now)
	}
	return body, true
}

func readCapped(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() || info.Size() > maxEntry {
		return nil, errors.New("not a cache entry")
	}
	data := make([]byte, info.Size())
	n, err := io.ReadFull(f, data)
	if err != nil || int64(n) != info.Size() {
		return nil, errors.New("short read")
	}
	return data, nil
}

// drop removes an entry that is not intact; another process may be
// replacing it, which rename makes harmless.
func (d *Dir) drop(p string) {
	d.misses.Add(1)
	if !d.off.Load() {
		_ = os.Remove(p)
	}
}

// Put stores data under key (a hex string). Failures are not errors: the
// cache is then off for the rest of the process and the notice says so.
func (d *Dir) Put(key string, data []byte) {
	if d == nil || d.off.Load() || len(data) > maxEntry-len(magic)-32 {
		return
	}
	p, ok := d.path(key)
	if !ok {
		return
	}
	if err := d.write(p, key, data); err != nil {
		d.fail(err)
	}
}

func (d *Dir) write(p, key string, data []byte) error {
	dir := filepath.Dir(p)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		f, err = os.CreateTemp(dir, ".tmp-*")
	}
	if err != nil {
		return err
	}
	s := sum(key, data)
	buf := make([]byte, 0, len(magic)+32+len(data))
	buf = append(append(append(buf, magic...), s[:]...), data...)
	_, err = f.Write(buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	d.written.Add(int64(len(buf)))
	return nil
}

func (d *Dir) fail(err error) {
	d.off.Store(true)
	d.once.Do(func() {
		if d.notice != nil {
			msg := err.Error()
			if i := strings.IndexByte(msg, '\n'); i >= 0 {
				msg = msg[:i]
			}
			d.notice(fmt.Sprintf("build cache off: %s", msg))
		}
	})
}

// Written is how many bytes this process wrote.
func (d *Dir) Written() int64 {
	if d == nil {
		return 0
	}
	return d.written.Load()
}

// Hits and Misses count the reads of this process.
func (d *Dir) Hits() int64 {
	if d == nil {
		return 0
	}
	return d.hits.Load()
}

// Misses counts reads that found no intact entry.
func (d *Dir) Misses() int64 {
	if d == nil {
		return 0
	}
	return d.misses.Load()
}

// Trim removes the least recently used entries, and temporary files
// older than an hour (left by a process that was killed), until the
// folder holds at most 3/4 of its bound. It does nothing while the folder
// is within the bound.
func (d *Dir) Trim() {
	if d == nil {
		return
	}
	type ent struct {
		path string
		size int64
		mod  time.Time
	}
	var ents []ent
	var total int64
	_ = filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return nil
		}
		if strings.HasPrefix(e.Name(), ".tmp-") {
			if time.Since(info.ModTime()) > time.Hour {
				_ = os.Remove(p)
			}
			return nil
		}
		ents = append(ents, ent{p, info.Size(), info.ModTime()})
		total += info.Size()
		return nil
	})
	if total <= d.max {
		return
	}
	slices.SortFunc(ents, func(a, b ent) int { return a.mod.Compare(b.mod) })
	for _, e := range ents {
		if total <= d.max/4*3 {
			break
		}
		if os.Remove(e.path) == nil {
			total -= e.size
		}
	}
}

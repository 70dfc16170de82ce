// Package cache is a folder of entries shared by the processes of one
// user (the hook in several worktrees, check, the language server): the
// builds and validations of an analysis, so that the next run reuses
// those whose inputs did not change.
//
// Entries live in segment files, one folder per namespace (a repository):
// a process reads the segments of its namespace once, on first use, and
// writes what it added as one new segment when it ends (Flush). Opening a
// file per entry costs more than building many of them. A segment is
// written to a temporary file and renamed into place, so a reader sees a
// whole segment or none, and processes running at once never disturb one
// another. Every entry carries a checksum of its key and content: a
// damaged, truncated or foreign file or entry is ignored, never trusted.
// A namespace with many segments is merged into one; the folder is
// bounded in size (Trim removes the oldest segments). A folder that
// cannot be written turns writing off for the process, with one notice.
package cache

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"maps"
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

// maxSegment bounds one segment file: a larger file is not read.
const maxSegment = 256 << 20

// mergeAfter is how many segments a namespace holds before Flush merges
// them.
const mergeAfter = 8

const magic = "gitops-hook cache 2\n"

// Dir is one namespace of a cache folder. The zero of *Dir (nil) is a
// cache that holds nothing. Safe for concurrent use.
type Dir struct {
	root   string // the cache folder
	dir    string // the namespace's folder
	max    int64
	notice func(string)

	loadOnce sync.Once
	mu       sync.Mutex
	entries  map[string][]byte // key -> record (checked on use), from the segments read
	segments []string          // files read
	added    map[string][]byte // key -> data, to write
	used     map[string]bool   // keys read or written by this process

	off    atomic.Bool // writing failed: no more writes
	once   sync.Once   // notice given
	hits   atomic.Int64
	misses atomic.Int64
}

// Open returns the namespace ns (any string; it names a folder by its
// hash) of the cache folder root, bounded to max bytes in all (0:
// DefaultMaxBytes). notice, when not nil, is told once, in one line, when
// the cache cannot be written.
func Open(root, ns string, max int64, notice func(string)) *Dir {
	if max <= 0 {
		max = DefaultMaxBytes
	}
	sum := sha256.Sum256([]byte(ns))
	return &Dir{root: root, dir: filepath.Join(root, hex.EncodeToString(sum[:8])), max: max, notice: notice,
		added: map[string][]byte{}, used: map[string]bool{}}
}

// Root is the cache folder.
func (d *Dir) Root() string {
	if d == nil {
		return ""
	}
	return d.root
}

// A record is: uvarint key length, key, uvarint data length, data, and
// the SHA-256 of key and data.
func appendRecord(b []byte, key string, data []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = append(b, key...)
	b = binary.AppendUvarint(b, uint64(len(data)))
	b = append(b, data...)
	s := sum(key, data)
	return append(b, s[:]...)
}

func sum(key string, data []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write(data)
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}

// records splits a segment into key -> record (data and checksum); it
// stops at the first record that does not parse.
func records(seg []byte, into map[string][]byte) {
	if len(seg) < len(magic) || string(seg[:len(magic)]) != magic {
		return
	}
	b := seg[len(magic):]
	for len(b) > 0 {
		kl, n := binary.Uvarint(b)
		if n <= 0 || kl > uint64(len(b)-n) {
			return
		}
		key := string(b[n : n+int(kl)])
		b = b[n+int(kl):]
		dl, n := binary.Uvarint(b)
		if n <= 0 || dl > uint64(len(b)-n) || uint64(len(b)-n)-dl < 32 {
			return
		}
		rec := b[n : n+int(dl)+32]
		b = b[n+int(dl)+32:]
		into[key] = rec
	}
}

// load reads the namespace's segments, oldest first so that newer entries
// win.
func (d *Dir) load() {
	d.loadOnce.Do(func() {
		ents, err := os.ReadDir(d.dir)
		if err != nil {
			return
		}
		type seg struct {
			name string
			mod  time.Time
		}
		var segs []seg
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".seg") || !e.Type().IsRegular() {
				continue
			}
			info, err := e.Info()
			if err != nil || info.Size() > maxSegment {
				continue
			}
			segs = append(segs, seg{e.Name(), info.ModTime()})
		}
		slices.SortFunc(segs, func(a, b seg) int { return a.mod.Compare(b.mod) })
		entries := map[string][]byte{}
		var read []string
		for _, s := range segs {
			data, err := readCapped(filepath.Join(d.dir, s.name), maxSegment)
			if err != nil {
				continue
			}
			records(data, entries)
			read = append(read, s.name)
		}
		d.mu.Lock()
		d.entries, d.segments = entries, read
		d.mu.Unlock()
	})
}

func readCapped(p string, max int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() || info.Size() > max {
		return nil, fmt.Errorf("%s: not a cache segment", p)
	}
	return io.ReadAll(io.LimitReader(f, max))
}

// Get returns the content stored under key, if an intact entry is there.
func (d *Dir) Get(key string) ([]byte, bool) {
	if d == nil {
		return nil, false
	}
	d.load()
	d.mu.Lock()
	if data, ok := d.added[key]; ok {
		d.mu.Unlock()
		d.hits.Add(1)
		return data, true
	}
	rec, ok := d.entries[key]
	d.mu.Unlock()
	if !ok {
		d.misses.Add(1)
		return nil, false
	}
	data, s := rec[:len(rec)-32], rec[len(rec)-32:]
	if want := sum(key, data); string(want[:]) != string(s) {
		d.misses.Add(1)
		d.mu.Lock()
		delete(d.entries, key)
		d.mu.Unlock()
		return nil, false
	}
	d.mu.Lock()
	d.used[key] = true
	d.mu.Unlock()
	d.hits.Add(1)
	return data, true
}

// Put stores data under key; it is written by Flush.
func (d *Dir) Put(key string, data []byte) {
	if d == nil || d.off.Load() || int64(len(data)) > maxSegment/4 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.added[key] = data
	d.used[key] = true
}

// Flush writes the entries Put since the last Flush as a new segment, or,
// when the namespace holds many segments, merges them with the entries
// read into one. Failures are not errors: writing is then off for the
// rest of the process and the notice says so. It returns the size of
// the segment written, 0 when none was.
func (d *Dir) Flush() int64 {
	if d == nil || d.off.Load() {
		return 0
	}
	d.load()
	d.mu.Lock()
	added := d.added
	d.added = map[string][]byte{}
	merge := len(d.segments)+1 > mergeAfter
	var old []string
	var entries map[string][]byte
	if merge {
		old, entries = d.segments, d.entries
	}
	used := maps.Clone(d.used)
	d.mu.Unlock()
	if len(added) == 0 && !merge {
		return 0
	}
	buf := []byte(magic)
	written := map[string]bool{}
	// This process's entries first, then those it used, then the rest,
	// within half the folder's bound.
	for _, k := range sortedKeys(added) {
		buf = appendRecord(buf, k, added[k])
		written[k] = true
	}
	if merge {
		keys := sortedKeys(entries)
		slices.SortStableFunc(keys, func(a, b string) int {
			switch {
			case used[a] == used[b]:
				return 0
			case used[a]:
				return -1
			}
			return 1
		})
		for _, k := range keys {
			if written[k] || int64(len(buf)) > d.max/2 {
				continue
			}
			rec := entries[k]
			data, s := rec[:len(rec)-32], rec[len(rec)-32:]
			if want := sum(k, data); string(want[:]) != string(s) {
				continue // damaged: dropped
			}
			buf = appendRecord(buf, k, data)
			written[k] = true
		}
	}
	if err := d.writeSegment(buf); err != nil {
		d.fail(err)
		return 0
	}
	for _, name := range old {
		_ = os.Remove(filepath.Join(d.dir, name))
	}
	return int64(len(buf))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (d *Dir) writeSegment(buf []byte) error {
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(d.dir, ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	var r [8]byte
	_, _ = rand.Read(r[:])
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(d.dir, fmt.Sprintf("%d-%x.seg", time.Now().UnixNano(), r)))
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

func (d *Dir) fail(err error) {
	d.off.Store(true)
	d.once.Do(func() {
		if d.notice != nil {
			msg := err.Error()
			if i := strings.IndexByte(msg, '\n'); i >= 0 {
				msg = msg[:i]
			}
			d.notice(fmt.Sprintf("build cache not written: %s", msg))
		}
	})
}

// Hits counts the reads of this process that found an intact entry.
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

// Trim removes the oldest segments of the whole cache folder (every
// namespace), and temporary files older than an hour (left by a process
// that was killed), until the folder holds at most 3/4 of its bound. It
// does nothing while the folder is within the bound.
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

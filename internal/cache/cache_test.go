package cache

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const key = "0123456789abcdef0123456789abcdef"

func TestPutGet(t *testing.T) {
	root := filepath.Join(t.TempDir(), "c")
	d := Open(root, "repo", 0, nil)
	if _, ok := d.Get(key); ok {
		t.Fatal("hit in an empty cache")
	}
	d.Put(key, []byte("hello"))
	if got, ok := d.Get(key); !ok || string(got) != "hello" {
		t.Fatalf("Get before Flush = %q, %v", got, ok)
	}
	if d.Flush() == 0 {
		t.Fatal("nothing written")
	}
	next := Open(root, "repo", 0, nil)
	if got, ok := next.Get(key); !ok || string(got) != "hello" {
		t.Fatalf("next process: Get = %q, %v", got, ok)
	}
	if _, ok := Open(root, "other repo", 0, nil).Get(key); ok {
		t.Fatal("an entry of another namespace")
	}
	var none *Dir
	none.Put(key, []byte("x"))
	none.Flush()
	if _, ok := none.Get(key); ok {
		t.Fatal("a nil cache holds something")
	}
}

func segments(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	_ = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".seg") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// Damaged, truncated and foreign files are never returned as entries.
func TestGarbageIgnored(t *testing.T) {
	for name, damage := range map[string]func([]byte) []byte{
		"flipped":   func(b []byte) []byte { b = bytes.Clone(b); b[len(b)-40] ^= 1; return b },
		"truncated": func(b []byte) []byte { return b[:len(b)-3] },
		"header":    func(b []byte) []byte { return b[:10] },
		"empty":     func([]byte) []byte { return nil },
		"foreign":   func([]byte) []byte { return []byte("{\"some\": \"json\"}\n") },
		"huge key":  func(b []byte) []byte { return append([]byte(magic), 0xff, 0xff, 0xff, 0xff, 0x0f) },
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			d := Open(root, "r", 0, nil)
			d.Put(key, []byte("the real content"))
			d.Flush()
			segs := segments(t, root)
			if len(segs) != 1 {
				t.Fatalf("%d segments", len(segs))
			}
			good, err := os.ReadFile(segs[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(segs[0], damage(good), 0o600); err != nil {
				t.Fatal(err)
			}
			next := Open(root, "r", 0, nil)
			if got, ok := next.Get(key); ok {
				t.Errorf("Get returned %q", got)
			}
			next.Put(key, []byte("again"))
			next.Flush() // no crash, and the entry is back
			if got, ok := Open(root, "r", 0, nil).Get(key); !ok || string(got) != "again" {
				t.Errorf("after rewriting: %q, %v", got, ok)
			}
		})
	}
}

// A folder that cannot be written: no crash, nothing cached, one notice.
func TestUnwritable(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var notices []string
	for i := 0; i < 3; i++ {
		d := Open(filepath.Join(file, "cache"), "r", 0, func(s string) { notices = append(notices, s) }) // below a file
		d.Put(key, []byte("x"))
		d.Flush()
		d.Flush()
		d.Trim()
		if _, ok := Open(filepath.Join(file, "cache"), "r", 0, nil).Get(key); ok {
			t.Fatal("hit in an unwritable cache")
		}
	}
	if len(notices) != 3 || strings.Contains(notices[0], "\n") {
		t.Fatalf("notices = %q, want one line per process", notices)
	}
}

// Processes writing at once (two hooks in two worktrees) each find their
// entries and never a partial one; many segments merge into one.
func TestConcurrentWriters(t *testing.T) {
	root := t.TempDir()
	data := bytes.Repeat([]byte("0123456789"), 1000)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				d := Open(root, "r", 0, nil)
				k := fmt.Sprintf("%02x-%02x", w, i)
				if got, ok := d.Get(fmt.Sprintf("%02x-%02x", (w+1)%4, i)); ok && !bytes.Equal(got, data) {
					t.Errorf("writer %d: a partial entry", w)
				}
				d.Put(k, data)
				d.Flush()
			}
		}()
	}
	wg.Wait()
	d := Open(root, "r", 0, nil)
	found := 0
	for w := 0; w < 4; w++ {
		for i := 0; i < 10; i++ {
			if got, ok := d.Get(fmt.Sprintf("%02x-%02x", w, i)); ok && bytes.Equal(got, data) {
				found++
			}
		}
	}
	// Merges that ran at once may drop the entries of a segment written
	// in between, never damage one: most are there.
	if found < 20 {
		t.Fatalf("%d of 40 entries found", found)
	}
	if n := len(segments(t, root)); n > mergeAfter+4 {
		t.Fatalf("%d segments, merged after %d", n, mergeAfter)
	}
}

// Trim keeps the folder within its bound.
func TestTrim(t *testing.T) {
	root := t.TempDir()
	data := bytes.Repeat([]byte("x"), 10_000)
	for i := 0; i < 20; i++ {
		d := Open(root, fmt.Sprint("repo ", i), 50_000, nil)
		d.Put(key, data)
		d.Flush()
	}
	Open(root, "any", 50_000, nil).Trim()
	var total int64
	_ = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			total += info.Size()
		}
		return nil
	})
	if total > 50_000 {
		t.Fatalf("%d bytes after Trim, bound 50000", total)
	}
}

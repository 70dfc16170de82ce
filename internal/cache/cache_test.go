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
	d := Open(filepath.Join(t.TempDir(), "c"), 0, nil)
	if _, ok := d.Get(key); ok {
		t.Fatal("hit in an empty cache")
	}
	d.Put(key, []byte("hello"))
	got, ok := d.Get(key)
	if !ok || string(got) != "hello" {
		t.Fatalf("Get = %q, %v", got, ok)
	}
	var none *Dir
	none.Put(key, []byte("x"))
	if _, ok := none.Get(key); ok {
		t.Fatal("a nil cache holds something")
	}
}

// Damaged, truncated, foreign and oversized files are never returned.
func TestGarbageIgnored(t *testing.T) {
	root := t.TempDir()
	d := Open(root, 0, nil)
	d.Put(key, []byte("the real content"))
	p, _ := d.path(key)
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)-1] ^= 1
	other := Open(root, 0, nil)
	other.Put("ffff456789abcdef0123456789abcdef", []byte("the real content"))
	op, _ := other.path("ffff456789abcdef0123456789abcdef")
	moved, _ := os.ReadFile(op)
	for name, data := range map[string][]byte{
		"flipped":   flipped,
		"truncated": good[:len(good)-3],
		"header":    good[:10],
		"empty":     {},
		"foreign":   []byte("{\"some\": \"json\"}\n"),
		"moved":     moved, // an intact entry of another key
	} {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if got, ok := d.Get(key); ok {
			t.Errorf("%s: Get returned %q", name, got)
		}
	}
	if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if err := os.Mkdir(p, 0o700); err != nil { // a folder where an entry should be
		t.Fatal(err)
	}
	if _, ok := d.Get(key); ok {
		t.Error("a folder read as an entry")
	}
	d.Put(key, []byte("x")) // cannot replace a folder: no crash, cache off
}

// A folder that cannot be written: no crash, nothing cached, one notice.
func TestUnwritable(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var notices []string
	d := Open(filepath.Join(file, "cache"), 0, func(s string) { notices = append(notices, s) }) // below a file
	for i := 0; i < 5; i++ {
		d.Put(fmt.Sprintf("%02d3456789abcdef", i), []byte("x"))
	}
	if _, ok := d.Get("003456789abcdef"); ok {
		t.Fatal("hit in an unwritable cache")
	}
	if len(notices) != 1 || strings.Contains(notices[0], "\n") {
		t.Fatalf("notices = %q, want one line", notices)
	}
	d.Trim()
}

// Two writers of the same entries at once (two hooks in two worktrees):
// every read sees a whole entry.
func TestConcurrentWriters(t *testing.T) {
	root := t.TempDir()
	a, b := Open(root, 0, nil), Open(root, 0, nil)
	data := bytes.Repeat([]byte("0123456789"), 10000)
	var wg sync.WaitGroup
	for w, d := range []*Dir{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				k := fmt.Sprintf("%02x3456789abcdef", i%8)
				d.Put(k, data)
				if got, ok := d.Get(k); ok && !bytes.Equal(got, data) {
					t.Errorf("writer %d: a partial entry", w)
				}
			}
		}()
	}
	wg.Wait()
	for i := 0; i < 8; i++ {
		if got, ok := a.Get(fmt.Sprintf("%02x3456789abcdef", i)); !ok || !bytes.Equal(got, data) {
			t.Fatalf("entry %d missing or damaged", i)
		}
	}
}

// Trim keeps the folder within its bound, the most recent entries first.
func TestTrim(t *testing.T) {
	root := t.TempDir()
	d := Open(root, 50_000, nil)
	data := bytes.Repeat([]byte("x"), 10_000)
	for i := 0; i < 20; i++ {
		d.Put(fmt.Sprintf("%02x3456789abcdef", i), data)
	}
	d.Trim()
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

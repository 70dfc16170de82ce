package gitsrc

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A source URL that is a local path or file:// is refused, offline or not:
// go-git would fetch it by running git-upload-pack, and read a repository
// outside the analysed one. A stand-in git on PATH proves nothing runs.
func TestLocalURLsAreNotFetched(t *testing.T) {
	bin := t.TempDir()
	ran := filepath.Join(t.TempDir(), "ran")
	for _, name := range []string{"git", "git-upload-pack"} {
		script := "#!/bin/sh\necho " + name + " >> " + ran + "\nexit 1\n"
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	local := t.TempDir()
	for _, url := range []string{"file://" + filepath.ToSlash(local), local, "./elsewhere", "../../x.git", "file:///etc"} {
		for _, offline := range []bool{false, true} {
			rs := &Resolver{CacheDir: t.TempDir(), Offline: offline}
			if _, err := rs.Open(context.Background(), url); !errors.Is(err, ErrUnavailable) {
				t.Errorf("Open(%q, offline %v) = %v, want ErrUnavailable", url, offline, err)
			}
		}
	}
	if b, err := os.ReadFile(ran); err == nil {
		t.Errorf("ran: %s", b)
	}
	for _, url := range []string{"https://github.com/org/repo.git", "ssh://git@github.com/org/repo.git", "git@github.com:org/repo.git", "http://example.com/r"} {
		if !remoteURL(url) {
			t.Errorf("remoteURL(%q) = false", url)
		}
	}
}

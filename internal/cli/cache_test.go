package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/cli"
)

// checkWith runs check on the demo with the given environment.
func checkWith(t *testing.T, env map[string]string) (string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	cli.Run(context.Background(), []string{"check", "testdata/demo", "--offline", "--no-color"}, cli.Env{
		Stdout: &out, Stderr: &errb, Dir: projectRoot(t),
		Getenv: func(k string) string { return env[k] },
	})
	return out.String(), errb.String()
}

// The build cache never changes what check reports: cold, warm, off,
// unwritable, full of garbage, or shared by two checks running at once.
// A cache that cannot be written costs one line on stderr at most.
func TestBuildCacheBadInput(t *testing.T) {
	want, errOut := checkWith(t, map[string]string{"XDG_CACHE_HOME": t.TempDir(), "GITOPS_HOOK_CACHE": "off"})
	if errOut != "" {
		t.Fatalf("stderr without a cache: %s", errOut)
	}
	same := func(name, got, errOut string, maxLines int) {
		t.Helper()
		if got != want {
			t.Errorf("%s: findings differ from a run without cache:\n%s", name, got)
		}
		if n := strings.Count(errOut, "\n"); n > maxLines {
			t.Errorf("%s: %d lines on stderr, want at most %d:\n%s", name, n, maxLines, errOut)
		}
	}

	home := t.TempDir()
	env := map[string]string{"XDG_CACHE_HOME": home}
	got, e := checkWith(t, env)
	same("cold", got, e, 0)
	builds := filepath.Join(home, "gitops-hook", "builds")
	if ents, _ := os.ReadDir(builds); len(ents) == 0 {
		t.Fatal("nothing cached")
	}
	got, e = checkWith(t, env)
	same("warm", got, e, 0)

	// Garbage: every segment damaged, and foreign files beside them.
	_ = filepath.Walk(builds, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			data, _ := os.ReadFile(p)
			for i := len(data) / 2; i < len(data); i += 7 {
				data[i] ^= 0x5a
			}
			_ = os.WriteFile(p, data, 0o600)
			_ = os.WriteFile(filepath.Join(filepath.Dir(p), "zz-foreign.seg"), []byte("not a cache segment\x00\xff"), 0o600)
		}
		return nil
	})
	got, e = checkWith(t, env)
	same("garbage", got, e, 0)

	// Unwritable: the cache folder is a file.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	got, e = checkWith(t, map[string]string{"XDG_CACHE_HOME": file})
	same("unwritable", got, e, 1)

	// Two at once, on an empty cache and on a warm one.
	for _, name := range []string{"two at once, cold", "two at once, warm"} {
		if strings.HasSuffix(name, "cold") {
			env = map[string]string{"XDG_CACHE_HOME": t.TempDir()}
		}
		var wg sync.WaitGroup
		outs := make([][2]string, 2)
		for i := range outs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[i][0], outs[i][1] = checkWith(t, env)
			}()
		}
		wg.Wait()
		for _, o := range outs {
			same(name, o[0], o[1], 0)
		}
	}
}

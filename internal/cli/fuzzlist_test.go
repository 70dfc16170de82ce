package cli_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryFuzzTargetRunsInCI: each fuzz target of the project is listed
// in .ci/run with its package, and in the README, so that none is only
// run by its seeds.
func TestEveryFuzzTargetRunsInCI(t *testing.T) {
	root := projectRoot(t)
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	fuzzFunc := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(f \*testing\.F\)`)
	found := 0
	err = filepath.WalkDir(filepath.Join(root, "internal"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		for _, m := range fuzzFunc.FindAllStringSubmatch(string(src), -1) {
			found++
			if line := "./" + filepath.ToSlash(rel) + " " + m[1] + `"`; !strings.Contains(string(ci), line) {
				t.Errorf(".ci/run does not run %s of ./%s", m[1], filepath.ToSlash(rel))
			}
			if !strings.Contains(string(readme), "`"+m[1]+"`") {
				t.Errorf("README.md does not name %s", m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 6 {
		t.Errorf("found %d fuzz targets; the search lost them", found)
	}
}

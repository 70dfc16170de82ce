package schema

import (
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
)

// TestRealRepositoriesAreValid renders every kustomization of the Flux
// example repository and of the openCenter base and validates the objects:
// both are known-good, so any violation is a false positive. It runs with
// the Flux CRDs of the shared data and with the embedded ones only.
func TestRealRepositoriesAreValid(t *testing.T) {
	crds := fluxCRDs(t)
	t.Run("repository CRDs", func(t *testing.T) { realRepositoriesAreValid(t, newValidator(t, crds...)) })
	t.Run("embedded CRDs", func(t *testing.T) { realRepositoriesAreValid(t, newValidator(t)) })
}

func realRepositoriesAreValid(t *testing.T, v *Validator) {
	data := testrepo.SharedData(t)
	r := render.New()
	checked, withSchema := 0, 0
	for _, repo := range []string{"flux2-kustomize-helm-example", "opencenter-gitops-base/2026.01"} {
		fsys := os.DirFS(filepath.Join(data, repo))
		var dirs []string
		fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Name() == "kustomization.yaml" {
				dirs = append(dirs, path.Dir(p))
			}
			return nil
		})
		if len(dirs) == 0 {
			t.Fatalf("%s: no kustomizations", repo)
		}
		for _, dir := range dirs {
			res := r.Render(context.Background(), render.Request{FS: fsys, Path: dir})
			if res.Err != nil {
				continue // build errors are render's business (overlays need their bases)
			}
			for _, o := range res.Objects {
				vs, missing, err := v.Validate(o.Doc)
				checked++
				if !missing {
					withSchema++
				}
				if err != nil {
					t.Errorf("%s %s/%s: %v", repo, o.Kind, o.Name, err)
				}
				for _, x := range vs {
					t.Errorf("%s: %s %s/%s from %s: %s at /%s: %s", repo, x.Kind, o.Kind, o.Name, o.Origin,
						x.Kind, strings.Join(x.Path, "/"), x.Message)
				}
			}
		}
	}
	t.Logf("validated %d objects, %d with a schema", checked, withSchema)
	if withSchema < 50 {
		t.Errorf("only %d objects had a schema: the test is not exercising validation", withSchema)
	}
}

package cli_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/opencenter-cloud/gitops-hook/internal/cli"
	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
)

// TestRealBaseFullOverlay writes a customer overlay that consumes every
// Helm service of the real base at 2026.01 the openCenter way (a source,
// a -base and an -override Kustomization, an override Secret named after
// the HelmRelease's valuesFrom) and checks that a correct overlay gets no
// error: the engine must understand the real base as it is.
func TestRealBaseFullOverlay(t *testing.T) {
	for _, v := range []struct{ dir, ref string }{
		{"2025.09-release-2025.3.0-rc1", `tag: "release-2025.3.0-rc1"`},
		{"2026.01", `tag: "2026.01"`},
		{"2026.05-main", "branch: main"},
	} {
		t.Run(v.dir, func(t *testing.T) { fullOverlay(t, v.dir, v.ref) })
	}
}

func fullOverlay(t *testing.T, snapshot, ref string) {
	data := sharedData(t)
	const url = "ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git"
	mirror := testrepo.RealBase(t)
	base := os.DirFS(filepath.Join(data, "opencenter-gitops-base", snapshot))
	type override struct{ name, key string }
	type service struct {
		id, path, ns string
		overrides    []override
	}
	var services []service
	_ = fs.WalkDir(base, "applications/base/services", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if _, err := fs.Stat(base, path.Join(p, "kustomization.yaml")); err != nil {
			return nil
		}
		ents, _ := fs.ReadDir(base, p)
		var svc *service
		for _, e := range ents {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
				continue
			}
			b, _ := fs.ReadFile(base, path.Join(p, e.Name()))
			dec := yaml.NewDecoder(strings.NewReader(string(b)))
			for {
				var doc struct {
					Kind     string
					Metadata struct{ Name, Namespace string }
					Spec     struct {
						ValuesFrom []struct {
							Kind      string
							Name      string
							ValuesKey string `yaml:"valuesKey"`
						} `yaml:"valuesFrom"`
					}
				}
				if dec.Decode(&doc) != nil {
					break
				}
				if doc.Kind != "HelmRelease" {
					continue
				}
				if svc == nil {
					id := strings.ReplaceAll(strings.TrimPrefix(p, "applications/base/services/"), "/", "-")
					svc = &service{id: id, path: p, ns: doc.Metadata.Namespace}
				}
				for _, v := range doc.Spec.ValuesFrom {
					if strings.Contains(v.Name, "override") {
						key := v.ValuesKey
						if key == "" {
							key = "values.yaml"
						}
						svc.overrides = append(svc.overrides, override{v.Name, key})
					}
				}
			}
		}
		if svc != nil {
			services = append(services, *svc)
		}
		return nil
	})
	withOverride := 0
	for _, s := range services {
		if len(s.overrides) > 0 {
			withOverride++
		}
	}
	if len(services) < 10 || withOverride < 10 {
		t.Fatalf("found only %d Helm services (%d with an override) in the base", len(services), withOverride)
	}
	repo := t.TempDir()
	write := func(p, content string) {
		full := filepath.Join(repo, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	o := "applications/overlays/dev-cluster/"
	write(o+"kustomization.yaml", "resources:\n  - ./services/sources\n  - ./services/fluxcd\n")
	var fluxRes, srcRes []string
	for _, s := range services {
		srcRes = append(srcRes, "  - ./opencenter-"+s.id+".yaml")
		fluxRes = append(fluxRes, "  - ./"+s.id+".yaml")
		write(o+"services/sources/opencenter-"+s.id+".yaml", fmt.Sprintf(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: opencenter-%s
  namespace: flux-system
spec:
  interval: 10m
  url: %s
  ref:
    %s
`, s.id, url, ref))
		flux := fmt.Sprintf(`apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: %[1]s-base
  namespace: flux-system
spec:
  interval: 15m
  sourceRef:
    kind: GitRepository
    name: opencenter-%[1]s
  path: %[2]s
  targetNamespace: %[3]s
  prune: true
`, s.id, s.path, s.ns)
		if len(s.overrides) > 0 {
			flux += fmt.Sprintf(`---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: %[1]s-override
  namespace: flux-system
spec:
  dependsOn:
    - name: %[1]s-base
  interval: 15m
  sourceRef:
    kind: GitRepository
    name: flux-system
  path: ./applications/overlays/dev-cluster/services/%[1]s
  targetNamespace: %[2]s
  prune: true
`, s.id, s.ns)
			k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsecretGenerator:\n"
			for _, ov := range s.overrides {
				k += fmt.Sprintf("  - name: %s\n    type: Opaque\n    files:\n      - %s=helm-values/override-values.yaml\n    options:\n      disableNameSuffixHash: true\n", ov.name, ov.key)
			}
			write(o+"services/"+s.id+"/kustomization.yaml", k)
			write(o+"services/"+s.id+"/helm-values/override-values.yaml", "{}\n")
		}
		write(o+"services/fluxcd/"+s.id+".yaml", flux)
	}
	sort.Strings(srcRes)
	write(o+"services/sources/kustomization.yaml", "resources:\n"+strings.Join(srcRes, "\n")+"\n")
	write(o+"services/fluxcd/kustomization.yaml", "resources:\n"+strings.Join(fluxRes, "\n")+"\n")

	code, out, errOut := run(t, repo, "check", repo, "--offline", "--format", "json", "--mirror", url+"="+mirror)
	var doc struct {
		Diagnostics []struct {
			File, Rule, Severity, Message string
			Line                          int
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("exit %d: %v\n%s%s", code, err, out, errOut)
	}
	for _, d := range doc.Diagnostics {
		switch {
		case d.Severity == "error":
			t.Errorf("%s:%d: %s: %s", d.File, d.Line, d.Rule, d.Message)
		case d.Rule != "kustomize/remote-resource" && d.Rule != "schema/missing":
			t.Logf("%s %s:%d: %s: %s", d.Severity, d.File, d.Line, d.Rule, d.Message)
		}
	}
	if code != cli.ExitOK {
		t.Errorf("exit %d; stderr: %s", code, errOut)
	}
}

package cli_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/hostilerepo"
)

// TestRepositoryCannotMakeTheAnalysisFetchOrRun: kustomization entries
// that kustomize itself would fetch over http or clone with git (patches,
// generators, transformers, remote bases in any spelling kustomize
// accepts, Helm charts, KRM functions and exec plugins) make check neither
// send a request nor run a program, offline or not. A stand-in git, helm
// and kustomize on PATH and a local web server would record any attempt.
func TestRepositoryCannotMakeTheAnalysisFetchOrRun(t *testing.T) {
	var mu sync.Mutex
	var requests []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.URL.Path)
		mu.Unlock()
		w.Write([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fetched\n"))
	}))
	defer srv.Close()
	bin := t.TempDir()
	ran := filepath.Join(t.TempDir(), "ran")
	for _, name := range []string{"git", "git-upload-pack", "helm", "kustomize", "sh", "bash", "plugin"} {
		script := "#!/bin/sh\necho " + name + " \"$@\" >> " + ran + "\nexit 1\n"
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	url := srv.URL
	fn := `apiVersion: example.com/v1
kind: Fn
metadata:
  name: fn
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ` + filepath.Join(bin, "plugin") + `
      container:
        image: example.com/fn:1
`
	for _, c := range []struct{ name, kustomization string }{
		{"http resource", "resources:\n  - " + url + "/resource.yaml\n"},
		{"scp-like base", "resources:\n  - alice@example.com:org/repo\n"},
		{"github in capitals", "resources:\n  - GitHub.com/org/repo/deploy\n"},
		{"github with a colon", "resources:\n  - github.com:org/repo\n"},
		{"component", "components:\n  - deploy@127.0.0.1:org/repo//x\n"},
		{"http patch", "patches:\n  - path: " + url + "/patch.yaml\n"},
		{"http strategic merge patch", "patchesStrategicMerge:\n  - " + url + "/smp.yaml\n"},
		{"http JSON 6902 patch", "patchesJson6902:\n  - path: " + url + "/6902.yaml\n    target: {kind: ConfigMap, name: cm}\n"},
		{"http generator file", "configMapGenerator:\n  - name: g\n    files:\n      - k=" + url + "/file.txt\n    envs:\n      - " + url + "/e.env\n"},
		{"http generator env", "secretGenerator:\n  - name: s\n    env: " + url + "/s.env\n"},
		{"http CRD", "crds:\n  - " + url + "/crd.yaml\n"},
		{"http configuration", "configurations:\n  - " + url + "/config.yaml\n"},
		{"http replacement", "replacements:\n  - path: " + url + "/replacement.yaml\n"},
		{"http openapi", "openapi:\n  path: " + url + "/openapi.json\n"},
		{"remote transformer", "transformers:\n  - alice@example.com:org/transformers\n"},
		{"remote generator", "generators:\n  - bob@example.com:org/generators\n"},
		{"remote validator", "validators:\n  - carol@example.com:org/validators\n"},
		{"KRM function", "transformers:\n  - fn.yaml\n"},
		{"Helm chart", "helmCharts:\n  - name: chart\n    repo: " + url + "/charts\n    version: 1.0.0\n    valuesFile: " + url + "/values.yaml\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := hostilerepo.Fleet("cm.yaml")
			files["apps/kustomization.yaml"] = []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - cm.yaml\n  - plain-secret.yaml\n" + c.kustomization)
			files["apps/cm.yaml"] = []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n")
			files["apps/fn.yaml"] = []byte(fn)
			repo := filepath.Join(t.TempDir(), "repo")
			if err := hostilerepo.Write(repo, files); err != nil {
				t.Fatal(err)
			}
			for _, offline := range []bool{true, false} {
				args := []string{"check", "--format", "json", repo}
				if offline {
					args = append(args, "--offline")
				}
				code, out, errOut := bounded(t, repo, args...)
				if code != 1 || !strings.Contains(out, "secret/unencrypted") {
					t.Errorf("check (offline %v): exit %d\n%s\n%s", offline, code, out, errOut)
				}
			}
			mu.Lock()
			if len(requests) > 0 {
				t.Errorf("requests sent: %v", requests)
			}
			requests = nil
			mu.Unlock()
			if b, err := os.ReadFile(ran); err == nil {
				t.Errorf("programs run:\n%s", b)
				os.Remove(ran)
			}
		})
	}
}

// TestSecretFindingsNeverShowTheSecret: secret/* findings point at the
// value, in every output format, without printing it; build and diff
// --rendered mask Secret values unless asked.
func TestSecretFindingsNeverShowTheSecret(t *testing.T) {
	const value = "hunter2-7c1f9e"
	const keyBody = "MIIEowIBAAKCAQEA7c1f9eSECRET"
	files := hostilerepo.Fleet("secret.yaml", "sops-secret.yaml")
	files["apps/secret.yaml"] = []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\nstringData:\n  password: " + value + "\n")
	files["apps/sops-secret.yaml"] = []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: sealed\nstringData:\n  token: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]\n  leaked: " + value + "\nsops:\n  mac: ENC[AES256_GCM,data:xyz,type:str]\n  version: 3.9.0\n")
	files["apps/id_rsa"] = []byte("-----BEGIN RSA PRIVATE KEY-----\n" + keyBody + "\n-----END RSA PRIVATE KEY-----\n")
	repo := filepath.Join(t.TempDir(), "repo")
	if err := hostilerepo.Write(repo, files); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "json", "sarif", "github"} {
		code, out, errOut := bounded(t, repo, "check", "--offline", "--format", format, repo)
		if code != 1 || !strings.Contains(out, "secret/unencrypted") {
			t.Errorf("%s: exit %d, no secret/unencrypted:\n%s%s", format, code, out, errOut)
		}
		if strings.Contains(out+errOut, value) || strings.Contains(out+errOut, keyBody) {
			t.Errorf("%s output shows a secret:\n%s", format, out)
		}
	}
	code, out, errOut := bounded(t, repo, "build", "apps", "--offline")
	if code != 0 || !strings.Contains(out, "password: '***'") && !strings.Contains(out, "password: \"***\"") && !strings.Contains(out, "password: ***") || strings.Contains(out+errOut, value) {
		t.Errorf("build: exit %d, want the value masked:\n%s%s", code, out, errOut)
	}
}

package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/opencenter-cloud/gitops-hook/internal/cli"
	"github.com/opencenter-cloud/gitops-hook/internal/gittest"
)

// fleet is testdata/rdiff/fleet.txtar committed to a git repository, with
// its base in a bare repository.
type fleet struct {
	t      *testing.T
	dir    string
	mirror string
}

func newFleet(t *testing.T) *fleet {
	gittest.Require(t)
	a, err := txtar.ParseFile("testdata/rdiff/fleet.txtar")
	if err != nil {
		t.Fatal(err)
	}
	dir, mirror := writeFixture(t, a)
	gittest.Git(t, "", "init", "-q", "-b", "main", dir)
	gittest.Git(t, dir, "add", "-A")
	gittest.Git(t, dir, "commit", "-q", "-m", "fleet")
	return &fleet{t: t, dir: dir, mirror: mirror}
}

func (f *fleet) write(files map[string]string) { gittest.Write(f.t, f.dir, files) }

func (f *fleet) read(p string) string {
	b, err := os.ReadFile(filepath.Join(f.dir, filepath.FromSlash(p)))
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b)
}

func (f *fleet) diff(args ...string) (int, string, string) {
	args = append([]string{"diff", "--rendered"}, args...)
	args = append(args, "--offline", "--mirror", baseURL+"="+f.mirror)
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Env{Stdout: &stdout, Stderr: &stderr, Dir: f.dir, Getenv: func(string) string { return "" }})
	return code, stdout.String(), stderr.String()
}

type renderedReport struct {
	Clusters []struct {
		Cluster string `json:"cluster"`
		Objects []struct {
			Kind          string `json:"kind"`
			Namespace     string `json:"namespace"`
			Name          string `json:"name"`
			Change        string `json:"change"`
			Kustomization string `json:"kustomization"`
			Source        string `json:"source"`
			File          string `json:"file"`
			Diff          string `json:"diff"`
			Note          string `json:"note"`
		} `json:"objects"`
		Failures []struct {
			Kustomization string `json:"kustomization"`
			Side          string `json:"side"`
			Message       string `json:"message"`
			File          string `json:"file"`
		} `json:"failures"`
		Duplicates []struct {
			Kind           string   `json:"kind"`
			Name           string   `json:"name"`
			Side           string   `json:"side"`
			Kustomizations []string `json:"kustomizations"`
		} `json:"duplicates"`
	} `json:"clusters"`
	Summary map[string]int `json:"summary"`
}

// changes lists "cluster: change Kind ns/name" for every object reported.
func (f *fleet) changes(args ...string) ([]string, *renderedReport) {
	f.t.Helper()
	code, out, errOut := f.diff(append(args, "--format", "json")...)
	if code != 0 {
		f.t.Fatalf("exit %d\n%s", code, errOut)
	}
	var rep renderedReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		f.t.Fatalf("%v\n%s", err, out)
	}
	var got []string
	for _, c := range rep.Clusters {
		for _, o := range c.Objects {
			got = append(got, c.Cluster+": "+o.Change+" "+o.Kind+" "+o.Namespace+"/"+o.Name)
		}
	}
	sort.Strings(got)
	return got, &rep
}

func sameList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func TestRenderedDiffValuesEdit(t *testing.T) {
	f := newFleet(t)
	p := "applications/overlays/dev/services/podinfo/helm-values/override-values.yaml"
	f.write(map[string]string{p: strings.Replace(f.read(p), "replicaCount: 1", "replicaCount: 3", 1)})
	got, rep := f.changes()
	sameList(t, "changes", got, []string{"dev: changed Secret podinfo/podinfo-values-override"})
	o := rep.Clusters[0].Objects[0]
	if o.Kustomization != "flux-system/podinfo-override" || o.File != "applications/overlays/dev/services/podinfo/kustomization.yaml" {
		t.Errorf("produced by %s in %s", o.Kustomization, o.File)
	}
	if !strings.Contains(o.Note, "override.yaml (changed)") || strings.Contains(o.Diff+o.Note, "replicaCount") {
		t.Errorf("note %q, diff %q: want the key named and no value", o.Note, o.Diff)
	}
	if rep.Summary["changed"] != 1 || rep.Summary["added"] != 0 || rep.Summary["removed"] != 0 {
		t.Errorf("summary %v", rep.Summary)
	}
	// The index does not have the edit yet.
	got, _ = f.changes("--staged")
	sameList(t, "--staged before git add", got, nil)
	gittest.Git(t, f.dir, "add", p)
	got, _ = f.changes("--staged")
	sameList(t, "--staged after git add", got, []string{"dev: changed Secret podinfo/podinfo-values-override"})
}

func TestRenderedDiffTagBump(t *testing.T) {
	f := newFleet(t)
	p := "applications/overlays/prod/services/sources/gitops-base.yaml"
	f.write(map[string]string{p: strings.Replace(f.read(p), "tag: v1.0.0", "tag: v1.1.0", 1)})
	got, rep := f.changes()
	sameList(t, "changes", got, []string{
		"prod: added Service podinfo/podinfo",
		"prod: changed Deployment podinfo/podinfo",
		"prod: changed GitRepository flux-system/gitops-base",
	})
	seen := 0
	for _, c := range rep.Clusters {
		if c.Cluster != "prod" {
			continue
		}
		for _, o := range c.Objects {
			seen++
			switch o.Kind {
			case "Deployment":
				if !strings.Contains(o.Diff, "-      - image: ghcr.io/stefanprodan/podinfo:6.6.0\n+      - image: ghcr.io/stefanprodan/podinfo:6.7.0\n") {
					t.Errorf("Deployment diff:\n%s", o.Diff)
				}
				if o.Source != "gitops-base@v1.1.0" || o.Kustomization != "flux-system/podinfo-base" {
					t.Errorf("Deployment from %s %s", o.Source, o.Kustomization)
				}
			case "GitRepository":
				if o.Kustomization != "(cluster root)" || o.File != p {
					t.Errorf("GitRepository from %s %s", o.Kustomization, o.File)
				}
			}
		}
	}
	if seen != 3 {
		t.Errorf("%d objects of prod looked at", seen)
	}
	// --cluster narrows the comparison.
	got, _ = f.changes("--cluster", "dev")
	sameList(t, "--cluster dev", got, nil)

	code, out, _ := f.diff("--format", "markdown")
	want, err := os.ReadFile("testdata/rdiff/tag-bump.md")
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || out != string(want) {
		t.Errorf("markdown (exit %d) differs from testdata/rdiff/tag-bump.md:\n%s", code, out)
	}
}

func TestRenderedDiffPromotion(t *testing.T) {
	f := newFleet(t)
	from, to := "applications/overlays/staging/services/", "applications/overlays/prod/services/"
	f.write(map[string]string{
		to + "redis/kustomization.yaml": f.read(from + "redis/kustomization.yaml"),
		to + "redis/deployment.yaml":    f.read(from + "redis/deployment.yaml"),
		to + "fluxcd/redis.yaml":        strings.ReplaceAll(f.read(from+"fluxcd/redis.yaml"), "overlays/staging", "overlays/prod"),
		to + "fluxcd/kustomization.yaml": strings.Replace(f.read(to+"fluxcd/kustomization.yaml"),
			"  - ./podinfo.yaml\n", "  - ./podinfo.yaml\n  - ./redis.yaml\n", 1),
	})
	got, _ := f.changes()
	sameList(t, "changes", got, []string{
		"prod: added Deployment cache/redis",
		"prod: added Kustomization flux-system/redis",
	})
}

func TestRenderedDiffBadInput(t *testing.T) {
	f := newFleet(t)
	code, out, errOut := f.diff("no-such-rev")
	if code != 2 || out != "" || !strings.Contains(errOut, `unknown revision "no-such-rev"`) {
		t.Errorf("unknown REV: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = f.diff("--cluster", "qa")
	if code != 2 || !strings.Contains(errOut, `no cluster "qa"`) {
		t.Errorf("unknown cluster: exit %d, stderr %q", code, errOut)
	}

	// dev's override now lists a file that does not exist: its build fails
	// on the new side only and its objects are not reported as removed;
	// staging's values edit is still diffed; prod applies the same overlay
	// twice, under two names: reported, not merged.
	f.write(map[string]string{
		"applications/overlays/dev/services/podinfo/kustomization.yaml":                   f.read("applications/overlays/dev/services/podinfo/kustomization.yaml") + "resources:\n  - ./missing.yaml\n",
		"applications/overlays/staging/services/podinfo/helm-values/override-values.yaml": "replicaCount: 4\n",
		"applications/overlays/prod/services/fluxcd/podinfo.yaml": f.read("applications/overlays/prod/services/fluxcd/podinfo.yaml") +
			strings.Replace(strings.SplitAfter(f.read("applications/overlays/prod/services/fluxcd/podinfo.yaml"), "---\n")[1], "name: podinfo-override", "name: podinfo-override-copy", 1),
	})
	p := "applications/overlays/prod/services/fluxcd/podinfo.yaml"
	if !strings.Contains(f.read(p), "podinfo-override-copy") {
		t.Fatal("fixture edit failed")
	}
	f.write(map[string]string{p: strings.Replace(f.read(p), "  targetNamespace: podinfo\napiVersion", "  targetNamespace: podinfo\n---\napiVersion", 1)})
	got, rep := f.changes()
	sameList(t, "changes", got, []string{
		"prod: added Kustomization flux-system/podinfo-override-copy",
		"staging: changed Secret podinfo/podinfo-values-override",
	})
	for _, c := range rep.Clusters {
		switch c.Cluster {
		case "dev":
			if len(c.Failures) != 1 || c.Failures[0].Side != "new" || c.Failures[0].Kustomization != "flux-system/podinfo-override" || !strings.Contains(c.Failures[0].Message, "missing.yaml") {
				t.Errorf("dev failures: %+v", c.Failures)
			}
		case "prod":
			if len(c.Duplicates) != 1 || c.Duplicates[0].Name != "podinfo-values-override" || c.Duplicates[0].Side != "new" ||
				strings.Join(c.Duplicates[0].Kustomizations, ",") != "flux-system/podinfo-override,flux-system/podinfo-override-copy" {
				t.Errorf("prod duplicates: %+v", c.Duplicates)
			}
		default:
			if len(c.Failures)+len(c.Duplicates) > 0 {
				t.Errorf("%s: failures %+v duplicates %+v", c.Cluster, c.Failures, c.Duplicates)
			}
		}
	}
	code, out, _ = f.diff()
	if code != 0 || !strings.Contains(out, "build failed (new side) flux-system/podinfo-override") || !strings.Contains(out, "duplicate Secret podinfo/podinfo-values-override (new side), not compared") {
		t.Errorf("text output (exit %d):\n%s", code, out)
	}
}

package rdiff

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/build"
)

func secret(data map[string]any, sops bool) []placed {
	doc := map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "db", "namespace": "app"}, "data": data}
	if sops {
		doc["sops"] = map[string]any{"mac": "ENC[AES256_GCM,data:abc,type:str]", "lastmodified": "2026-01-01T00:00:00Z"}
	}
	return []placed{{obj: build.Object{APIVersion: "v1", Kind: "Secret", Namespace: "app", Name: "db", Doc: doc, File: "db.yaml"}, from: "flux-system/app"}}
}

func TestSecretsNeverPrinted(t *testing.T) {
	id := identity{"", "Secret", "app", "db"}
	// "hunter2" and "correct-horse" in base64.
	old := secret(map[string]any{"password": "aHVudGVyMg==", "user": "YWRtaW4="}, false)
	cur := secret(map[string]any{"password": "Y29ycmVjdC1ob3JzZQ==", "user": "YWRtaW4=", "token": "dG9rZW4="}, false)
	ch := compareObject(id, old, cur)
	if ch.Change != Changed || ch.Note != "data changed: password (changed), token (added) (values not shown)" {
		t.Errorf("plain Secret: %s, note %q", ch.Change, ch.Note)
	}
	for _, v := range []string{"aHVudGVyMg", "Y29ycmVjdC1ob3JzZQ", "hunter2", "correct-horse", "dG9rZW4"} {
		if strings.Contains(ch.Diff, v) {
			t.Errorf("the diff shows %s:\n%s", v, ch.Diff)
		}
	}
	if !strings.Contains(ch.Diff, "+  token: '***'") {
		t.Errorf("the added key is not shown masked:\n%s", ch.Diff)
	}

	encOld := secret(map[string]any{"password": "ENC[AES256_GCM,data:one,type:str]"}, true)
	encCur := secret(map[string]any{"password": "ENC[AES256_GCM,data:two,type:str]"}, true)
	ch = compareObject(id, encOld, encCur)
	if ch.Change != Changed || ch.Note != "encrypted, changed" || ch.Diff != "" {
		t.Errorf("SOPS Secret: %s, note %q, diff %q", ch.Change, ch.Note, ch.Diff)
	}
	if ch = compareObject(id, encOld, secret(map[string]any{"password": "ENC[AES256_GCM,data:one,type:str]"}, true)); ch.Change != Unchanged {
		t.Errorf("same ciphertext: %s", ch.Change)
	}
}

func TestLargeAndBinarySummarised(t *testing.T) {
	id := identity{"", "ConfigMap", "app", "big"}
	cm := func(v string, binary bool) []placed {
		doc := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "big", "namespace": "app"}, "data": map[string]any{"k": v}}
		if binary {
			doc["binaryData"] = map[string]any{"b": "AAEC"}
		}
		return []placed{{obj: build.Object{APIVersion: "v1", Kind: "ConfigMap", Namespace: "app", Name: "big", Doc: doc}, from: "x"}}
	}
	ch := compareObject(id, cm(strings.Repeat("a", MaxObjectBytes), false), cm(strings.Repeat("b", MaxObjectBytes), false))
	if ch.Change != Changed || ch.Diff != "" || !strings.Contains(ch.Note, "large object") {
		t.Errorf("large: %s %q %d bytes of diff", ch.Change, ch.Note, len(ch.Diff))
	}
	ch = compareObject(id, cm("a", true), cm("b", true))
	if ch.Change != Changed || ch.Diff != "" || ch.Note != "binary content, not printed" {
		t.Errorf("binary: %s %q %q", ch.Change, ch.Note, ch.Diff)
	}
}

func TestMarkdownTruncated(t *testing.T) {
	rep := &Report{}
	for c := 0; c < 3; c++ {
		cl := Cluster{Cluster: fmt.Sprintf("cluster-%d", c)}
		for i := 0; i < 200; i++ {
			cl.Objects = append(cl.Objects, Change{Kind: "ConfigMap", Namespace: "app", Name: fmt.Sprintf("cm-%03d", i), Change: Changed,
				Kustomization: "flux-system/app", File: "app.yaml", Diff: "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-" + strings.Repeat("x", 200) + "\n+" + strings.Repeat("y", 200) + "\n"})
			cl.Counts.Changed++
		}
		rep.Clusters = append(rep.Clusters, cl)
	}
	md := rep.Markdown("Rendered diff:", 0)
	if len(md) > MaxMarkdown {
		t.Fatalf("%d characters, over GitHub's limit", len(md))
	}
	if !strings.HasPrefix(md, "**Rendered diff:** cluster-0: 200 changed; cluster-1: 200 changed; cluster-2: 200 changed\n") {
		t.Errorf("first line: %q", strings.SplitN(md, "\n", 2)[0])
	}
	shown := strings.Count(md, "- **changed**")
	note := fmt.Sprintf("%d more objects not shown", 600-shown)
	if shown == 0 || shown == 600 || !strings.Contains(md, note) {
		t.Errorf("%d objects shown; want the note %q", shown, note)
	}
	if strings.Count(md, "<details>") != strings.Count(md, "</details>") {
		t.Errorf("unbalanced <details>")
	}
	small := (&Report{Clusters: rep.Clusters[:1]}).Markdown("t", 1<<20)
	if strings.Contains(small, "Truncated") || strings.Count(small, "- **changed**") != 200 {
		t.Errorf("a report under the limit is truncated")
	}
}

// TestIdentityHasTheGroup: objects of one kind and name in two API groups
// (a v1 ServiceAccount and a talos.dev one) are two objects, not a
// duplicate; the same object applied twice is one.
func TestIdentityHasTheGroup(t *testing.T) {
	sa := func(apiVersion, from string) build.Object {
		return build.Object{APIVersion: apiVersion, Kind: "ServiceAccount", Namespace: "ci", Name: "runner",
			Doc: map[string]any{"apiVersion": apiVersion, "kind": "ServiceAccount"}, File: from + ".yaml"}
	}
	s := &side{results: []*build.Result{
		{Kustomization: build.Kustomization{Name: "runner"}, Objects: []build.Object{sa("v1", "a")}},
		{Kustomization: build.Kustomization{Name: "talos"}, Objects: []build.Object{sa("talos.dev/v1alpha1", "b")}},
	}}
	objs, _ := index(s, "new", &Cluster{})
	if len(objs) != 2 {
		t.Fatalf("%d identities, want 2: %v", len(objs), objs)
	}
	for id, ps := range objs {
		if len(ps) != 1 {
			t.Errorf("%v placed %d times", id, len(ps))
		}
	}
	s.results = append(s.results, &build.Result{Kustomization: build.Kustomization{Name: "copy"}, Objects: []build.Object{sa("v1", "c")}})
	objs, _ = index(s, "new", &Cluster{})
	if ps := objs[identity{"", "ServiceAccount", "ci", "runner"}]; len(ps) != 2 {
		t.Errorf("the v1 ServiceAccount applied twice is placed %d times, want 2", len(ps))
	}
}

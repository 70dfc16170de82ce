package config

import "testing"

func TestNormalizeURL(t *testing.T) {
	same := []string{
		"https://github.com/opencenter-cloud/openCenter-gitops-base.git",
		"https://github.com/opencenter-cloud/openCenter-gitops-base",
		"ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git",
		"ssh://git@github.com:22/opencenter-cloud/openCenter-gitops-base",
		"git@github.com:opencenter-cloud/openCenter-gitops-base.git",
		"https://user@github.com/opencenter-cloud/openCenter-gitops-base/",
	}
	want := NormalizeURL(same[0])
	if want != "github.com/opencenter-cloud/opencenter-gitops-base" {
		t.Fatalf("normal form %q", want)
	}
	for _, u := range same {
		if got := NormalizeURL(u); got != want {
			t.Errorf("%s -> %s, want %s", u, got, want)
		}
	}
	if NormalizeURL("https://github.com/rackerlabs/openCenter-gitops-base.git") == want {
		t.Error("different organisations must differ")
	}
}

func TestGlob(t *testing.T) {
	c, err := Parse([]byte(`ignore: ["applications/overlays/lab-*/**", "**/generated.yaml", "docs"]`))
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{
		"applications/overlays/lab-01/services/x.yaml": true,
		"applications/overlays/lab-01":                 true,
		"applications/overlays/dev-cluster/x.yaml":     false,
		"a/b/generated.yaml":                           true,
		"generated.yaml":                               true,
		"docs/readme.yaml":                             true,
		"docsite/x.yaml":                               false,
	} {
		if got := c.Ignored(p); got != want {
			t.Errorf("Ignored(%s) = %v", p, got)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, src := range []string{
		"rules:\n  secret/placeholder: loud\n",
		"unknownKey: 1\n",
		"environments: {a: b}\n",
	} {
		if _, err := Parse([]byte(src)); err == nil {
			t.Errorf("%q: no error", src)
		}
	}
	c, err := Parse([]byte("rejectedTags:\n  https://github.com/o/r.git: [\"2026.02\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Rejected("git@github.com:o/r", "2026.02") || c.Rejected("git@github.com:o/r", "2026.01") {
		t.Error("Rejected")
	}
}

func TestSchemasEntries(t *testing.T) {
	c, err := Parse([]byte("schemas:\n  - schemas/crds-catalog\n  - https://raw.githubusercontent.com/datreeio/CRDs-catalog/main/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Schemas) != 2 || !IsSchemaURL(c.Schemas[1]) || IsSchemaURL(c.Schemas[0]) {
		t.Errorf("schemas %q", c.Schemas)
	}
	for _, bad := range []string{
		"schemas: ['https://example.com/catalog']", // a URL without template
		"schemas: ['s3://bucket/{{.Group}}.json']", // a scheme that is not read
		"schemas: ['']", // empty
		"schemas: ['schemas/{{.Group}/{{.Kind}}.json']", // unbalanced
	} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

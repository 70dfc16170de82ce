package schema

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
)

// A minimal hand-written CRD so the tests run without shared data.
const widgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    plural: widgets
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            required: [size]
            properties:
              size:
                type: string
                enum: [small, large]
              port:
                x-kubernetes-int-or-string: true
              note:
                type: string
                nullable: true
              values:
                type: object
                x-kubernetes-preserve-unknown-fields: true
                properties:
                  known: {type: string}
`

func newValidator(t testing.TB, crds ...[]byte) *Validator {
	t.Helper()
	v, err := New(crds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

type want struct {
	kind string
	path string // JSON pointer
}

func check(t *testing.T, v *Validator, obj map[string]any, wantMissing bool, wants ...want) {
	t.Helper()
	got, missing, err := v.Validate(obj)
	if err != nil {
		t.Fatal(err)
	}
	if missing != wantMissing {
		t.Errorf("missing = %v, want %v", missing, wantMissing)
	}
	var gotW []want
	for _, g := range got {
		gotW = append(gotW, want{g.Kind, "/" + strings.Join(g.Path, "/")})
	}
	for _, w := range wants {
		if !slices.Contains(gotW, w) {
			t.Errorf("want %v among %+v", w, got)
		}
	}
	if len(wants) == 0 && len(got) > 0 {
		t.Errorf("want no violations, got %+v", got)
	}
}

func widget(spec map[string]any) map[string]any {
	return map[string]any{"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w"}, "spec": spec}
}

func TestCRDFixture(t *testing.T) {
	v := newValidator(t, []byte(widgetCRD))
	check(t, v, widget(map[string]any{"size": "small", "port": 80, "note": nil,
		"values": map[string]any{"anything": 1}}), false)
	check(t, v, widget(map[string]any{"size": "small", "port": "http"}), false)
	check(t, v, widget(map[string]any{"size": "small", "colour": "red"}), false,
		want{UnknownField, "/spec/colour"})
	check(t, v, widget(map[string]any{"size": "medium"}), false, want{Invalid, "/spec/size"})
	check(t, v, widget(map[string]any{"size": "small", "port": 1.5}), false, want{Invalid, "/spec/port"})
	check(t, v, widget(map[string]any{}), false, want{Invalid, "/spec"})
}

func TestBuiltin(t *testing.T) {
	v := newValidator(t)
	deploy := func(replicas any) map[string]any {
		return map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "d", "creationTimestamp": nil},
			"spec": map[string]any{
				"replicas": replicas,
				"selector": map[string]any{"matchLabels": map[string]any{"app": "d"}},
				"strategy": map[string]any{"rollingUpdate": map[string]any{"maxSurge": "25%", "maxUnavailable": 1}},
				"template": map[string]any{
					"metadata": map[string]any{"labels": map[string]any{"app": "d"}},
					"spec": map[string]any{"containers": []any{map[string]any{
						"name": "c", "image": "nginx",
						"resources": map[string]any{"limits": map[string]any{"cpu": 1, "memory": "1Gi"}},
					}}},
				},
			},
		}
	}
	check(t, v, deploy(3), false)
	check(t, v, deploy("three"), false, want{Invalid, "/spec/replicas"})
	typo := deploy(1)
	typo["spec"].(map[string]any)["replica"] = 2
	check(t, v, typo, false, want{UnknownField, "/spec/replica"})
	check(t, v, map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "c"}, "data": map[string]any{"k": "v"}}, false)
	check(t, v, map[string]any{"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": "n", "labelz": map[string]any{}}}, false,
		want{UnknownField, "/metadata/labelz"})
}

func TestMissing(t *testing.T) {
	v := newValidator(t)
	check(t, v, map[string]any{"apiVersion": "nope.example.com/v1", "kind": "Gadget",
		"metadata": map[string]any{"name": "g"}}, true)
}

// TestFluxRulesWithoutCRDs: the embedded Flux schemas check the CEL rules
// and patterns without CRDs in the repository (Flux kinds are never
// missing now: the expectations changed from missing=true).
func TestFluxRulesWithoutCRDs(t *testing.T) {
	v := newValidator(t)
	hr := func(spec map[string]any) map[string]any {
		return map[string]any{"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
			"metadata": map[string]any{"name": "h"}, "spec": spec}
	}
	ref := map[string]any{"kind": "OCIRepository", "name": "podinfo"}
	check(t, v, hr(map[string]any{"interval": "5m", "chartRef": ref}), false)
	check(t, v, hr(map[string]any{"interval": "5m"}), false, want{Invalid, "/spec"})
	check(t, v, hr(map[string]any{"interval": "5m", "chart": map[string]any{"spec": map[string]any{"chart": "c",
		"sourceRef": map[string]any{"kind": "HelmRepository", "name": "r"}}}, "chartRef": ref}), false,
		want{Invalid, "/spec"})
	check(t, v, hr(map[string]any{"interval": "5 minutes", "chartRef": ref}), false,
		want{Invalid, "/spec/interval"})
	check(t, v, hr(map[string]any{"interval": "1h30m", "chart": map[string]any{"spec": map[string]any{"chart": "c", "interval": "P1D",
		"sourceRef": map[string]any{"kind": "HelmRepository", "name": "r"}}}}), false,
		want{Invalid, "/spec/chart/spec/interval"})
	// CEL on a nested object: retryInterval only with the RetryOnFailure strategy.
	check(t, v, hr(map[string]any{"interval": "5m", "chartRef": ref,
		"upgrade": map[string]any{"strategy": map[string]any{"name": "RemediateOnFailure", "retryInterval": "1m"}}}), false,
		want{Invalid, "/spec/upgrade/strategy"})
	check(t, v, hr(map[string]any{"interval": "5m", "chartRef": ref,
		"upgrade": map[string]any{"strategy": map[string]any{"name": "RetryOnFailure", "retryInterval": "1m"}}}), false)
	git := func(url string) map[string]any {
		return map[string]any{"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
			"metadata": map[string]any{"name": "g"}, "spec": map[string]any{"url": url, "interval": "1m"}}
	}
	check(t, v, git("ssh://git@github.com/org/repo"), false)
	check(t, v, git("git@github.com:org/repo.git"), false, want{Invalid, "/spec/url"})
}

func TestOfflineLocations(t *testing.T) {
	if _, err := New(nil, Options{SchemaLocations: []string{"https://example.com/{{ .ResourceKind }}.json"}}); err == nil {
		t.Fatal("http schema location accepted while offline")
	}
	// A local location is consulted for kinds the built-ins lack.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "gadget.json"), []byte(`{"type":"object","properties":{"spec":{"type":"object","properties":{"n":{"type":"integer"}},"additionalProperties":false}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := New(nil, Options{SchemaLocations: []string{dir + "/{{ .ResourceKind }}.json"}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	check(t, v, map[string]any{"apiVersion": "x.io/v1", "kind": "Gadget", "spec": map[string]any{"m": 1}}, false,
		want{UnknownField, "/spec/m"})

	// A local location wins over the built-in (v1.21) schema of a kind.
	if err := os.WriteFile(filepath.Join(dir, "configmap.json"), []byte(`{"type":"object","properties":{"apiVersion":{},"kind":{},"metadata":{}},"additionalProperties":false}`), 0o600); err != nil {
		t.Fatal(err)
	}
	check(t, v, map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"},
		"data": map[string]any{"k": "v"}}, false, want{UnknownField, "/data"})
}

func TestSplitPointer(t *testing.T) {
	got := splitPointer("/metadata/annotations/a~1b~0c")
	if !slices.Equal(got, []string{"metadata", "annotations", "a/b~c"}) {
		t.Errorf("got %q", got)
	}
}

func fluxCRDs(t testing.TB) [][]byte {
	t.Helper()
	dir := testrepo.SharedData(t, "flux-crds")
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if len(files) == 0 {
		t.Skipf("no Flux CRDs at %s", dir)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func kustomization(spec map[string]any) map[string]any {
	return map[string]any{"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
		"metadata": map[string]any{"name": "k", "namespace": "flux-system"}, "spec": spec}
}

func TestRealFluxCRDs(t *testing.T) {
	v := newValidator(t, fluxCRDs(t)...)
	good := map[string]any{"interval": "10m", "path": "./apps", "prune": true,
		"sourceRef": map[string]any{"kind": "GitRepository", "name": "flux-system"}}
	check(t, v, kustomization(good), false)

	typo := map[string]any{"interval": "10m", "pth": "./apps", "prune": true,
		"sourceRef": map[string]any{"kind": "GitRepository", "name": "flux-system"}}
	check(t, v, kustomization(typo), false, want{UnknownField, "/spec/pth"})

	badEnum := map[string]any{"interval": "10m", "prune": true,
		"sourceRef": map[string]any{"kind": "HelmRepository", "name": "x"}}
	check(t, v, kustomization(badEnum), false, want{Invalid, "/spec/sourceRef/kind"})

	badType := map[string]any{"interval": "10m", "prune": "yes",
		"sourceRef": map[string]any{"kind": "GitRepository", "name": "x"}}
	check(t, v, kustomization(badType), false, want{Invalid, "/spec/prune"})

	// The schema's own pattern and the built-in rule agree: reported once.
	badInterval := map[string]any{"interval": "ten minutes", "prune": true,
		"sourceRef": map[string]any{"kind": "GitRepository", "name": "x"}}
	got, _, err := v.Validate(kustomization(badInterval))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range got {
		if slices.Equal(g.Path, []string{"spec", "interval"}) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("interval reported %d times: %+v", n, got)
	}
}

func BenchmarkValidate(b *testing.B) {
	v := newValidator(b)
	obj := map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "d"},
		"spec": map[string]any{"replicas": 2,
			"selector": map[string]any{"matchLabels": map[string]any{"app": "d"}},
			"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "d"}},
				"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": "nginx"}}}}}}
	if _, _, err := v.Validate(obj); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := v.Validate(obj); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		v, err := New(nil, Options{})
		if err != nil {
			b.Fatal(err)
		}
		v.Close()
	}
}

// A validator keeps its schemas in memory: building and using one writes
// nothing to disk, and a second validator of the same CRDs reuses the
// compiled schemas and finds the same violations.
func TestValidatorWritesNothing(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	obj := map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "x"},
		"spec": map[string]any{"replicas": "two", "bogus": 1}}
	var first []Violation
	for i := 0; i < 2; i++ {
		v := newValidator(t, []byte(widgetCRD))
		got, missing, err := v.Validate(obj)
		if err != nil || missing {
			t.Fatalf("Validate: %v, missing %v", err, missing)
		}
		if len(got) == 0 {
			t.Fatal("no violation for a string replicas and an unknown field")
		}
		if i == 0 {
			first = got
		} else if !reflect.DeepEqual(first, got) {
			t.Fatalf("second validator: %v, first: %v", got, first)
		}
	}
	ents, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) > 0 {
		t.Fatalf("validation wrote %d entries to the temporary folder, first %s", len(ents), ents[0].Name())
	}
}

// TestExtendedEventSourceKinds: clusters widen the event source kinds of
// Alerts and Receivers (the Flux Operator adds FluxInstance), so those are
// not held to the stock enum; the Alert's other enums still are.
func TestExtendedEventSourceKinds(t *testing.T) {
	v := newValidator(t)
	alert := func(severity, kind string) map[string]any {
		return map[string]any{"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Alert",
			"metadata": map[string]any{"name": "a"}, "spec": map[string]any{
				"providerRef":   map[string]any{"name": "slack"},
				"eventSeverity": severity,
				"eventSources":  []any{map[string]any{"kind": kind, "name": "*"}},
			}}
	}
	check(t, v, alert("error", "FluxInstance"), false)
	check(t, v, alert("error", "Kustomization"), false)
	check(t, v, alert("warning", "FluxInstance"), false, want{Invalid, "/spec/eventSeverity"})
	receiver := map[string]any{"apiVersion": "notification.toolkit.fluxcd.io/v1", "kind": "Receiver",
		"metadata": map[string]any{"name": "r"}, "spec": map[string]any{
			"type": "github", "secretRef": map[string]any{"name": "token"},
			"resources": []any{map[string]any{"kind": "ResourceSet", "name": "apps"}},
		}}
	check(t, v, receiver, false)
}

package render

import (
	"reflect"
	"testing"
)

// A cached build must decode to exactly what was built: every field of
// Object and Result, every Go type decoded YAML holds.
func TestCodecRoundTrip(t *testing.T) {
	res := Result{
		Files:   []string{"a/kustomization.yaml", "a/cm.yaml"},
		Remotes: []Remote{{File: "a/kustomization.yaml", Field: "resources", Entry: "https://example.com/x.yaml"}},
		Objects: []Object{{
			APIVersion: "v1", Kind: "ConfigMap", Name: "cm", Namespace: "ns", Origin: "a/cm.yaml", GeneratedBy: "a/kustomization.yaml",
			Doc: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "cm", "labels": map[string]any{}},
				"data": map[string]any{"i": 1, "neg": -7, "u": uint64(1 << 63), "f": 1.5, "t": true, "f2": false, "n": nil, "s": "x",
					"l": []any{1, "two", []any{}, map[string]any{"k": nil}}, "nm": map[string]any(nil), "nl": []any(nil)}},
		}, {Kind: "Empty"}},
	}
	b, ok := encodeResult(res)
	if !ok {
		t.Fatal("not encodable")
	}
	got, err := decodeResultBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, res) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, res)
	}
	closure := []closureEntry{{path: "a", kind: seenDir}, {path: "a/cm.yaml", kind: seenFile, sum: [32]byte{1, 2}}}
	c, rb, err := splitEntry(encodeEntry(closure, b))
	if err != nil || !reflect.DeepEqual(c, closure) || string(rb) != string(b) {
		t.Fatalf("entry: %v %v", c, err)
	}
	for i := range b { // truncated: an error, never a panic or a wrong result
		if r, err := decodeResultBytes(b[:i]); err == nil && reflect.DeepEqual(r, res) {
			t.Fatalf("truncated at %d decoded whole", i)
		}
	}
	if _, ok := encodeResult(Result{Objects: []Object{{Doc: map[string]any{"t": struct{}{}}}}}); ok {
		t.Error("a value of another type encoded")
	}
	// The codec names every field: one added to Object or Result must be
	// added to it (or declared not cached here).
	if n := reflect.TypeFor[Object]().NumField(); n != 7 {
		t.Errorf("Object has %d fields, the codec knows 7: encode the new one in codec.go", n)
	}
	if n := reflect.TypeFor[Result]().NumField(); n != 7 {
		t.Errorf("Result has %d fields, the codec knows 7 (Err, ErrFile, ErrEntry: failures are not cached; Sum: computed)", n)
	}
}

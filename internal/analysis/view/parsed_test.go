package view

import (
	"testing"
	"testing/fstest"
)

func TestParsedByPathAndContent(t *testing.T) {
	p := NewParsed()
	a := p.parse("a.yaml", []byte("x: 1\n"))
	if p.parse("a.yaml", []byte("x: 1\n")) != a {
		t.Error("same path and content parsed again")
	}
	if p.parse("a.yaml", []byte("x: 2\n")) == a {
		t.Error("changed content served from the cache")
	}
	if p.parse("b.yaml", []byte("x: 1\n")) == a {
		t.Error("another path served the first path's file (its positions name a.yaml)")
	}
	if p.Len() != 3 {
		t.Errorf("%d entries, want 3", p.Len())
	}
	// Unused through two sweeps: dropped; used: kept.
	p.Sweep()
	p.parse("a.yaml", []byte("x: 1\n"))
	p.Sweep()
	p.Sweep()
	if p.Len() != 1 {
		t.Errorf("%d entries after the sweeps, want the one still used", p.Len())
	}
}

func TestViewUsesParsed(t *testing.T) {
	mk := func() *View {
		return New(fstest.MapFS{"k.yaml": {Data: []byte("a: b\n")}}, "")
	}
	p := NewParsed()
	v1, v2 := mk(), mk()
	v1.Parsed, v2.Parsed = p, p
	f1, err := v1.YAML("k.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f2, _ := v2.YAML("k.yaml")
	if f1 != f2 {
		t.Error("two views of the same content parsed it twice")
	}
}

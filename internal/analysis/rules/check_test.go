package rules

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
)

func TestOrderRunsRequiredChecksFirst(t *testing.T) {
	a := &Check{Name: "a"}
	b := &Check{Name: "b", Requires: []*Check{a}}
	c := &Check{Name: "c", Requires: []*Check{b}}
	got := Order([]*Check{c, a})
	if len(got) != 3 || got[0] != a || got[1] != b || got[2] != c {
		var names []string
		for _, ch := range got {
			names = append(names, ch.Name)
		}
		t.Fatalf("order %v, want [a b c]", names)
	}
}

func TestEveryCheckRunsAfterWhatItRequires(t *testing.T) {
	order := Order(Checks())
	for i, ch := range order {
		for _, r := range ch.Requires {
			if j := slices.Index(order, r); j < 0 || j > i {
				t.Errorf("%s runs before %s, which it requires", ch.Name, r.Name)
			}
		}
	}
	if len(order) != len(Checks()) {
		t.Errorf("a check requires one that Checks does not list")
	}
}

func TestReportNeedsADeclaredRule(t *testing.T) {
	ch := &Check{Name: "x", Reports: []*catalog.Rule{catalog.FluxSuspended}}
	p := &Pass{Context: &Context{}, Check: ch}
	p.ReportDiag(catalog.FluxSuspended, diag.Diagnostic{File: "a.yaml"})
	if d := p.out; len(d) != 1 || d[0].Rule != "flux/suspended" || d[0].Severity != diag.Warning {
		t.Fatalf("got %+v", d)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "does not declare") {
			t.Fatalf("undeclared rule: recovered %v", r)
		}
	}()
	p.ReportDiag(catalog.TagMixed, diag.Diagnostic{File: "a.yaml"})
}

func TestFindingsNeedARequiredCheck(t *testing.T) {
	a := &Check{Name: "a", Reports: []*catalog.Rule{catalog.FluxSuspended}}
	b := &Check{Name: "b", Reports: []*catalog.Rule{catalog.TagMixed}}
	c := &Check{Name: "c", Requires: []*Check{a}}
	ctx := &Context{checks: []*Check{a, b, c}}
	pa, pb, p := &Pass{Context: ctx, Check: a}, &Pass{Context: ctx, Check: b}, &Pass{Context: ctx, Check: c}
	ctx.passes = map[*Check]*Pass{a: pa, b: pb, c: p}
	pa.ReportDiag(catalog.FluxSuspended, diag.Diagnostic{File: "a.yaml"})
	pb.ReportDiag(catalog.TagMixed, diag.Diagnostic{File: "b.yaml"})
	if got := p.Findings(); len(got) != 1 || got[0].File != "a.yaml" {
		t.Errorf("Findings() = %+v, want only the required check's", got)
	}
	if got := p.Findings(catalog.FluxSuspended); len(got) != 1 {
		t.Errorf("Findings(flux/suspended) = %+v", got)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "does not require b") {
			t.Fatalf("finding of a check not required: recovered %v", r)
		}
	}()
	p.Findings(catalog.TagMixed)
}

func TestRunNamesTheCheckThatFails(t *testing.T) {
	saved := values.Run
	defer func() { values.Run = saved }()
	values.Run = func(*Pass) error { panic("boom") }
	c := &Context{} // the other checks fail on an empty model; only values matters here
	Run(c)
	found := false
	for _, err := range c.Errors() {
		if strings.Contains(err.Error(), "internal error in check values: boom") {
			found = true
		}
	}
	if !found {
		t.Fatalf("errors %v do not name the check", c.Errors())
	}
	values.Run = func(*Pass) error { return errors.New("no") }
	c = &Context{} // the other checks fail on an empty model; only values matters here
	Run(c)
	if !slices.ContainsFunc(c.Errors(), func(err error) bool { return err.Error() == "check values: no" }) {
		t.Fatalf("errors %v do not name the check", c.Errors())
	}
}

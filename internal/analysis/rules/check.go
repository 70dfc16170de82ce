package rules

import (
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// Check is one pass over the model. A check may report several rules that
// share their reasoning (one root cause, reported once); it declares them
// in Reports, and reporting any other rule is an internal error. A check
// that reads what others found names them in Requires: the runner runs
// them first, and Pass.Findings only answers for their rules.
type Check struct {
	Name     string
	Reports  []*catalog.Rule
	Requires []*Check
	Run      func(*Pass) error
}

// Pass is what a check's Run receives: the analysis' inputs and shared
// state (Context), and the check it runs for.
type Pass struct {
	*Context
	Check *Check

	// What this check reported and its internal errors; Run gathers them
	// in check order once every check is done.
	out  []diag.Diagnostic
	errs []error
	done chan struct{} // closed when the check returned
}

// Report reports a finding of rule at a node of a repository file (the
// whole file when n is nil), with the rule's default severity.
func (p *Pass) Report(rule *catalog.Rule, f *yamlfile.File, n *yaml.Node, msg string, fixes ...diag.Fix) *diag.Diagnostic {
	return p.ReportDiag(rule, diag.Diagnostic{File: f.Path, Range: f.NodeRange(n), Message: msg, Fixes: fixes})
}

// ReportDiag reports d as a finding of rule, with the rule's default
// severity unless d sets one. The returned pointer is valid until the next
// report.
func (p *Pass) ReportDiag(rule *catalog.Rule, d diag.Diagnostic) *diag.Diagnostic {
	if p.Check != nil && !slices.Contains(p.Check.Reports, rule) {
		panic(fmt.Sprintf("check %s reports %s, which it does not declare", p.Check.Name, rule.ID))
	}
	d.Rule = rule.ID
	if d.Severity == diag.SeverityInvalid {
		d.Severity = rule.Severity
	}
	p.out = append(p.out, d)
	return &p.out[len(p.out)-1]
}

// Findings returns what the checks this one requires (directly or through
// others) reported of the given rules; with no rule, everything they
// reported. Every check that reports one of the rules must be required:
// otherwise the answer would depend on the order the checks happen to run
// in, and Findings panics.
func (p *Pass) Findings(rules ...*catalog.Rule) []diag.Diagnostic {
	req := map[*Check]bool{}
	var walk func(*Check)
	walk = func(ch *Check) {
		for _, r := range ch.Requires {
			if !req[r] {
				req[r] = true
				walk(r)
			}
		}
	}
	walk(p.Check)
	want := map[string]bool{}
	if len(rules) == 0 {
		for r := range req {
			for _, rule := range r.Reports {
				want[rule.ID] = true
			}
		}
	}
	for _, rule := range rules {
		want[rule.ID] = true
		for _, ch := range p.checks {
			if !req[ch] && slices.Contains(ch.Reports, rule) {
				panic(fmt.Sprintf("check %s reads %s findings but does not require %s, which reports them", p.Check.Name, rule.ID, ch.Name))
			}
		}
	}
	var out []diag.Diagnostic
	for _, ch := range p.checks {
		if !req[ch] {
			continue
		}
		for _, d := range p.passes[ch].out {
			if want[d.Rule] {
				out = append(out, d)
			}
		}
	}
	return out
}

// Order returns checks with every check after the ones it requires,
// otherwise in the given order. A required check missing from the list is
// added before the first check that requires it.
func Order(checks []*Check) []*Check {
	var out []*Check
	state := map[*Check]int{} // 1: visiting, 2: done
	var visit func(*Check)
	visit = func(ch *Check) {
		switch state[ch] {
		case 1:
			panic("checks require each other in a cycle through " + ch.Name)
		case 2:
			return
		}
		state[ch] = 1
		for _, r := range ch.Requires {
			visit(r)
		}
		state[ch] = 2
		out = append(out, ch)
	}
	for _, ch := range checks {
		visit(ch)
	}
	return out
}

// Run runs every check, each after the ones it requires, as many at once
// as there are processors: the checks only read the model, and each
// reports into its own Pass. What they report is gathered in check order,
// so the outcome does not depend on which finished first. A check that
// panics or fails is recorded as an internal error naming it, and the
// others still run: one bug must not hide every finding. When c.Ctx ends,
// no further check starts.
func Run(c *Context) {
	c.checks = Order(Checks())
	c.passes = make(map[*Check]*Pass, len(c.checks))
	for _, ch := range c.checks {
		c.passes[ch] = &Pass{Context: c, Check: ch, done: make(chan struct{})}
	}
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for _, ch := range c.checks {
		p := c.passes[ch]
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(p.done)
			for _, r := range ch.Requires {
				<-c.passes[r].done
			}
			if c.cancelled() {
				return // cancelled: what the checks found is not wanted
			}
			slots <- struct{}{}
			defer func() { <-slots }()
			p.run()
		}()
	}
	wg.Wait()
	for _, ch := range c.checks {
		c.out = append(c.out, c.passes[ch].out...)
		c.errs = append(c.errs, c.passes[ch].errs...)
	}
}

// run runs the pass's check, turning a panic into an internal error.
func (p *Pass) run() {
	defer func() {
		if r := recover(); r != nil {
			p.errs = append(p.errs, fmt.Errorf("internal error in check %s: %v", p.Check.Name, r))
		}
	}()
	if err := p.Check.Run(p); err != nil {
		p.errs = append(p.errs, fmt.Errorf("check %s: %w", p.Check.Name, err))
	}
}

// Reported lists every rule some check reports, each once, in the order
// the checks run.
func Reported() []*catalog.Rule {
	var out []*catalog.Rule
	for _, ch := range Order(Checks()) {
		for _, r := range ch.Reports {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

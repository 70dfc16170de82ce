// Package pin moves the tag GitRepository sources pin, as a plain-data
// fix, and checks what the move breaks by analysing the result in memory
// with the same source resolver.
package pin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	"github.com/opencenter-cloud/gitops-hook/internal/promote"
	yaml "go.yaml.in/yaml/v3"
)

// Options say which sources to move and where.
type Options struct {
	Analysis analysis.Options
	// Source is a GitRepository name, or a repository URL (every source of it).
	Source  string
	Cluster string // "" for every cluster
	// Exactly one of Previous, Next and Tag.
	Previous, Next bool
	Tag            string
	// Reject records the tags moved away from in .gitops.yaml rejectedTags.
	Reject bool
}

// Target is one GitRepository the pin moves.
type Target struct {
	File     string
	Name     string
	URL      string
	From, To string
}

// Plan is a computed pin.
type Plan struct {
	Fix       diag.Fix
	Changes   []promote.Change
	Targets   []Target
	Notes     []string
	NewErrors []diag.Diagnostic // what the new refs break
	Resolved  []diag.Diagnostic // errors the new refs make go away
	Before    *analysis.Result
	After     *analysis.Result
}

// Pin computes the tag move and analyses its result.
func Pin(ctx context.Context, opts Options) (*Plan, error) {
	n := 0
	for _, b := range []bool{opts.Previous, opts.Next, opts.Tag != ""} {
		if b {
			n++
		}
	}
	if n != 1 {
		return nil, inputErr("say where to move: exactly one of previous, next or a tag")
	}
	aopts, err := opts.Analysis.Complete()
	if err != nil {
		return nil, err
	}
	cfg := aopts.Config
	before, err := analysis.Analyze(ctx, aopts)
	if err != nil {
		return nil, err
	}
	snap := before.Model
	objs, err := match(snap, opts)
	if err != nil {
		return nil, err
	}
	p := &Plan{Before: before, Fix: diag.Fix{}}
	rejected := map[string][]string{} // URL -> tags moved away from
	var urls []string
	for _, o := range objs {
		st := snap.Sources.State(ctx, o)
		if st.ThisRepo {
			return nil, inputErr("%s: GitRepository %s is this repository, not a pinned source", o.File.Path, o.Name)
		}
		if st.Repo == nil {
			msg := "no url"
			if st.OpenErr != nil {
				msg = st.OpenErr.Error()
			}
			return nil, inputErr("%s: cannot read the repository of GitRepository %s (%s): %s", o.File.Path, o.Name, st.URL, msg)
		}
		cur := st.Ref.Tag
		to, err := choose(cfg, st.URL, st.Repo.TagNames(), cur, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: GitRepository %s: %w", o.File.Path, o.Name, err)
		}
		if to == cur {
			p.Notes = append(p.Notes, fmt.Sprintf("%s: GitRepository %s already pins %q", o.File.Path, o.Name, to))
			continue
		}
		edits, ok := promote.TagEdits(o.File, o.Node(), to)
		if !ok {
			return nil, inputErr("%s: GitRepository %s has neither ref.tag nor ref.branch to move", o.File.Path, o.Name)
		}
		p.Fix.Edits = append(p.Fix.Edits, edits...)
		from := cur
		if from == "" {
			from = st.Ref.String()
		}
		p.Targets = append(p.Targets, Target{File: o.File.Path, Name: o.Name, URL: st.URL, From: from, To: to})
		if opts.Reject && cur != "" && !cfg.Rejected(st.URL, cur) {
			if _, ok := rejected[st.URL]; !ok {
				urls = append(urls, st.URL)
			}
			if !contains(rejected[st.URL], cur) {
				rejected[st.URL] = append(rejected[st.URL], cur)
			}
		}
	}
	if len(p.Targets) > 0 {
		t := p.Targets[0]
		p.Fix.Title = fmt.Sprintf("Pin %s to %s", opts.Source, t.To)
	}
	if len(urls) > 0 {
		if err := rejectEdit(aopts, urls, rejected, &p.Fix); err != nil {
			return nil, err
		}
	}
	if p.Changes, err = promote.Apply(aopts.FS, p.Fix); err != nil {
		return nil, err
	}
	after := aopts
	after.FS = promote.Overlay(aopts.FS, p.Changes)
	if len(urls) > 0 {
		// The rejection is part of the change: analyse with it, so that the
		// other sources still pinning a rejected tag show up now, not at
		// the next check.
		c := *cfg
		c.RejectedTags = map[string][]string{}
		for u, tags := range cfg.RejectedTags {
			c.RejectedTags[u] = append([]string(nil), tags...)
		}
		for _, u := range urls {
			c.RejectedTags[u] = append(c.RejectedTags[u], rejected[u]...)
		}
		after.Config = &c
		p.Notes = append(p.Notes, rejectNotes(ctx, snap, objs, urls, rejected)...)
	}
	if p.After, err = analysis.Analyze(ctx, after); err != nil {
		return nil, err
	}
	p.NewErrors = promote.NewErrors(before.Diagnostics, p.After.Diagnostics)
	p.Resolved = promote.NewErrors(p.After.Diagnostics, before.Diagnostics)
	return p, nil
}

// InputError is a request that cannot be carried out as asked.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErr(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// IsInput reports whether err is a bad request rather than a failure.
func IsInput(err error) bool {
	var a *InputError
	var b *promote.InputError
	return errors.As(err, &a) || errors.As(err, &b)
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// match finds the GitRepositories named by opts.Source in the repository.
func match(snap *analysis.Model, opts Options) ([]*model.Object, error) {
	if opts.Source == "" {
		return nil, inputErr("no source named")
	}
	var cl *model.Cluster
	if opts.Cluster != "" {
		var names []string
		for _, c := range snap.Clusters {
			names = append(names, c.Name)
			if c.Name == opts.Cluster {
				cl = c
			}
		}
		if cl == nil {
			return nil, inputErr("unknown cluster %q (clusters: %s)", opts.Cluster, strings.Join(names, ", "))
		}
	}
	inCluster := func(o *model.Object) bool {
		if cl == nil {
			return true
		}
		if snap.Repo.ClusterOf(o.File.Path) == cl.Name {
			return true
		}
		for _, a := range cl.Applied {
			if a.Obj == o {
				return true
			}
		}
		return false
	}
	isURL := strings.Contains(opts.Source, "/")
	var out []*model.Object
	var names []string
	for _, o := range snap.Repo.Objects {
		if !o.Is("source", "GitRepository") {
			continue
		}
		names = append(names, o.Name)
		hit := o.Name == opts.Source
		if isURL {
			hit = config.NormalizeURL(yamlfile.Str(o.Node(), "spec", "url")) == config.NormalizeURL(opts.Source)
		}
		if hit && inCluster(o) {
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		where := ""
		if cl != nil {
			where = " in cluster " + cl.Name
		}
		sort.Strings(names)
		return nil, inputErr("no GitRepository %q%s (sources: %s)", opts.Source, where, strings.Join(slices.Compact(names), ", "))
	}
	return out, nil
}

// choose picks the new tag. Previous and next skip rejected tags; an
// explicit tag must exist and must not be rejected.
func choose(cfg *config.Config, url string, tags []string, cur string, opts Options) (string, error) {
	idx := -1
	for i, t := range tags {
		if t == cur {
			idx = i
		}
	}
	if opts.Tag != "" {
		if !contains(tags, opts.Tag) {
			return "", inputErr("tag %q does not exist in %s (tags: %s)", opts.Tag, url, strings.Join(tags, ", "))
		}
		if cfg.Rejected(url, opts.Tag) {
			return "", inputErr("tag %q of %s was rolled back (.gitops.yaml rejectedTags): refusing to pin back to it [tag/rejected]", opts.Tag, url)
		}
		return opts.Tag, nil
	}
	if idx < 0 {
		if cur == "" {
			return "", inputErr("it pins no tag, so it has no previous or next one; use --tag")
		}
		return "", inputErr("its tag %q does not exist in %s, so it has no previous or next one; use --tag", cur, url)
	}
	step := 1
	if opts.Previous {
		step = -1
	}
	for i := idx + step; i >= 0 && i < len(tags); i += step {
		if !cfg.Rejected(url, tags[i]) {
			return tags[i], nil
		}
	}
	if opts.Previous {
		return "", inputErr("no tag before %q in %s that was not rolled back", cur, url)
	}
	return "", inputErr("no tag after %q in %s that was not rolled back", cur, url)
}

// rejectEdit records rejected tags in .gitops.yaml, creating it if needed,
// with minimal text edits otherwise.
func rejectEdit(aopts analysis.Options, urls []string, tags map[string][]string, fix *diag.Fix) error {
	data, err := readFile(aopts, config.FileName)
	if err != nil {
		var b strings.Builder
		b.WriteString("rejectedTags:\n")
		for _, u := range urls {
			b.WriteString("  " + u + ": " + flowList(tags[u]) + "\n")
		}
		fix.Creates = append(fix.Creates, diag.FileCreate{File: config.FileName, Content: b.String()})
		return nil
	}
	f := yamlfile.Parse(config.FileName, data)
	if len(f.Diags) > 0 {
		return fmt.Errorf("%s: %s", config.FileName, f.Diags[0].Message)
	}
	var root *yaml.Node
	if len(f.Docs) > 0 {
		root = f.Docs[0].Root
	}
	k, m := yamlfile.GetKV(root, "rejectedTags")
	src := f.Src
	switch {
	case k == nil:
		var b strings.Builder
		if len(src) > 0 && src[len(src)-1] != '\n' {
			b.WriteString("\n")
		}
		b.WriteString("rejectedTags:\n")
		for _, u := range urls {
			b.WriteString("  " + u + ": " + flowList(tags[u]) + "\n")
		}
		fix.Edits = append(fix.Edits, promote.EditAt(f.Path, src, len(src), len(src), b.String()))
		return nil
	case m == nil || (m.Kind == yaml.ScalarNode && m.Tag == "!!null") || (m.Kind == yaml.MappingNode && len(m.Content) == 0):
		var b strings.Builder
		b.WriteString("rejectedTags:\n")
		indent := strings.Repeat(" ", f.NodeRange(k).Start.Col-1)
		for _, u := range urls {
			b.WriteString(indent + "  " + u + ": " + flowList(tags[u]) + "\n")
		}
		start := f.NodeRange(k).Start.Offset
		end := len(src)
		for i := start; i < len(src); i++ {
			if src[i] == '\n' {
				end = i + 1
				break
			}
		}
		fix.Edits = append(fix.Edits, promote.EditAt(f.Path, src, start, end, b.String()))
		return nil
	case m.Kind != yaml.MappingNode || m.Style&yaml.FlowStyle != 0:
		return fmt.Errorf("%s: rejectedTags is not a block mapping; add the tags by hand", config.FileName)
	}
	var missing []string
	for _, u := range urls {
		var seqKey, seq *yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			if config.NormalizeURL(m.Content[i].Value) == config.NormalizeURL(u) {
				seqKey, seq = m.Content[i], m.Content[i+1]
			}
		}
		if seqKey == nil {
			missing = append(missing, u)
			continue
		}
		e, err := appendItems(f, seqKey, seq, tags[u])
		if err != nil {
			return err
		}
		fix.Edits = append(fix.Edits, e)
	}
	if len(missing) > 0 {
		// New entries go first in the mapping, right after its key line.
		first := m.Content[0]
		indent := strings.Repeat(" ", f.NodeRange(first).Start.Col-1)
		at := f.NodeRange(first).Start.Offset
		for at > 0 && src[at-1] != '\n' {
			at--
		}
		var b strings.Builder
		for _, u := range missing {
			b.WriteString(indent + u + ": " + flowList(tags[u]) + "\n")
		}
		fix.Edits = append(fix.Edits, promote.EditAt(f.Path, src, at, at, b.String()))
	}
	return nil
}

func flowList(tags []string) string {
	q := make([]string, len(tags))
	for i, t := range tags {
		q[i] = strconv.Quote(t)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// appendItems adds quoted tags to the list under key in its own style.
func appendItems(f *yamlfile.File, key, seq *yaml.Node, tags []string) (diag.Edit, error) {
	src := f.Src
	if seq == nil || (seq.Kind == yaml.ScalarNode && seq.Tag == "!!null") {
		end := f.NodeRange(key).End.Offset
		// "URL:" followed by nothing: write the list after the colon.
		for end < len(src) && src[end] != ':' {
			end++
		}
		return promote.EditAt(f.Path, src, end+1, end+1, " "+flowList(tags)), nil
	}
	if seq.Kind != yaml.SequenceNode {
		return diag.Edit{}, fmt.Errorf("%s: rejectedTags of %s is not a list", config.FileName, key.Value)
	}
	if seq.Style&yaml.FlowStyle != 0 {
		if len(seq.Content) == 0 {
			return diag.Edit{File: f.Path, Range: f.NodeRange(seq), NewText: flowList(tags)}, nil
		}
		end := f.NodeRange(seq.Content[len(seq.Content)-1]).End.Offset
		var b strings.Builder
		for _, t := range tags {
			b.WriteString(", " + strconv.Quote(t))
		}
		return promote.EditAt(f.Path, src, end, end, b.String()), nil
	}
	last := seq.Content[len(seq.Content)-1]
	r := f.NodeRange(last)
	ls := r.Start.Offset
	for ls > 0 && src[ls-1] != '\n' {
		ls--
	}
	prefix := string(src[ls:r.Start.Offset])
	at := r.End.Offset
	for at < len(src) && src[at] != '\n' {
		at++
	}
	var b strings.Builder
	for _, t := range tags {
		b.WriteString("\n" + prefix + strconv.Quote(t))
	}
	return promote.EditAt(f.Path, src, at, at, b.String()), nil
}

// rejectNotes tells which other sources of a rejected repository still pin
// a rejected tag: a rejection holds for the whole repository URL.
func rejectNotes(ctx context.Context, snap *analysis.Model, moved []*model.Object, urls []string, rejected map[string][]string) []string {
	var notes []string
	for _, u := range urls {
		var others []string
		for _, o := range snap.Repo.Objects {
			if !o.Is("source", "GitRepository") || slices.Contains(moved, o) {
				continue
			}
			st := snap.Sources.State(ctx, o)
			if st == nil || config.NormalizeURL(st.URL) != config.NormalizeURL(u) || !contains(rejected[u], st.Ref.Tag) {
				continue
			}
			others = append(others, fmt.Sprintf("%s (%s)", o.File.Path, o.Name))
		}
		if len(others) > 0 {
			sort.Strings(others)
			notes = append(notes, fmt.Sprintf("rejecting %s of %s holds for every source of that repository: %d other source(s) still pin it and become tag/rejected errors: %s; move them all with: gitops-hook pin %s --previous --reject",
				strings.Join(rejected[u], ", "), u, len(others), strings.Join(others, ", "), u))
		}
	}
	return notes
}

package rdiff

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// MaxMarkdown is GitHub's limit for a pull-request comment.
const MaxMarkdown = 65536

// Filtered returns the report with unchanged objects dropped, unless all.
func (r *Report) Filtered(all bool) *Report {
	if all {
		return r
	}
	out := &Report{}
	for _, c := range r.Clusters {
		objs := make([]Change, 0, len(c.Objects))
		for _, o := range c.Objects {
			if o.Change != Unchanged {
				objs = append(objs, o)
			}
		}
		c.Objects = objs
		out.Clusters = append(out.Clusters, c)
	}
	return out
}

// WriteJSON writes {"clusters": [...], "summary": {...}}.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Clusters []Cluster `json:"clusters"`
		Summary  Counts    `json:"summary"`
	}{r.Clusters, r.Summary()})
}

// counts says what changed in a cluster, in words.
func (c Cluster) counts() string {
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(c.Counts.Changed, "changed")
	add(c.Counts.Added, "added")
	add(c.Counts.Removed, "removed")
	if c.Counts.Failures > 0 {
		parts = append(parts, fmt.Sprintf("%d build%s failed", c.Counts.Failures, plural(c.Counts.Failures)))
	}
	if len(c.Duplicates) > 0 {
		parts = append(parts, fmt.Sprintf("%d duplicate%s", len(c.Duplicates), plural(len(c.Duplicates))))
	}
	if len(parts) == 0 {
		return "no changes"
	}
	return strings.Join(parts, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// SummaryLine is one line with the counts of every cluster.
func (r *Report) SummaryLine() string {
	if len(r.Clusters) == 0 {
		return "no clusters"
	}
	var parts []string
	for _, c := range r.Clusters {
		parts = append(parts, c.Cluster+": "+c.counts())
	}
	return strings.Join(parts, "; ")
}

func (ch Change) id() string {
	if ch.Namespace == "" {
		return ch.Kind + " " + ch.Name
	}
	return ch.Kind + " " + ch.Namespace + "/" + ch.Name
}

func (ch Change) origin() string {
	f := ch.File
	if ch.Source != "" {
		f = ch.Source + ":" + f
	}
	return fmt.Sprintf("%s, %s", ch.Kustomization, f)
}

// Line is one line of the text output with what it shows, so that a
// terminal can colour it.
type Line struct {
	Text string
	Kind string // "cluster", "object", "note", "add", "del", "hunk", "error", ""
}

// TextLines renders the report as text: per cluster, its counts, then
// each object with the Kustomization and file that produce it, its note
// and its unified diff; then builds that failed and duplicate objects.
func (r *Report) TextLines() []Line {
	var out []Line
	add := func(kind, format string, a ...any) {
		out = append(out, Line{Text: fmt.Sprintf(format, a...), Kind: kind})
	}
	for _, c := range r.Clusters {
		add("cluster", "cluster %s: %s", c.Cluster, c.counts())
		for _, ch := range c.Objects {
			add("object", "  %s %s (%s)", ch.Change, ch.id(), ch.origin())
			if ch.Note != "" {
				add("note", "    %s", ch.Note)
			}
			for _, l := range strings.Split(strings.TrimSuffix(ch.Diff, "\n"), "\n") {
				if l == "" {
					continue
				}
				kind := ""
				switch {
				case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
					kind = "hunk"
				case strings.HasPrefix(l, "@@"):
					kind = "hunk"
				case strings.HasPrefix(l, "+"):
					kind = "add"
				case strings.HasPrefix(l, "-"):
					kind = "del"
				}
				add(kind, "    %s", l)
			}
		}
		for _, f := range c.Failures {
			add("error", "  build failed (%s) %s: %s:%d: %s", sideText(f.Side), f.Kustomization, f.File, f.Line, f.Message)
		}
		for _, d := range c.Duplicates {
			id := Change{Kind: d.Kind, Namespace: d.Namespace, Name: d.Name}.id()
			var from []string
			for i := range d.Kustomizations {
				from = append(from, d.Kustomizations[i]+" ("+d.Files[i]+")")
			}
			add("error", "  duplicate %s (%s side), not compared: applied by %s", id, d.Side, strings.Join(from, " and "))
		}
	}
	return out
}

// WriteText writes TextLines.
func (r *Report) WriteText(w io.Writer) error {
	var sb strings.Builder
	for _, l := range r.TextLines() {
		sb.WriteString(l.Text)
		sb.WriteByte('\n')
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// Markdown renders the report for a pull-request comment: a first line
// with the counts per cluster, then one folded section per cluster with
// a diff block per object. It stays under limit characters (MaxMarkdown
// when limit is 0) by leaving objects out, with a note saying how many.
func (r *Report) Markdown(title string, limit int) string {
	if limit <= 0 {
		limit = MaxMarkdown
	}
	var head strings.Builder
	fmt.Fprintf(&head, "**%s** %s\n", title, mdEscape(r.SummaryLine()))
	var body strings.Builder
	const reserve = 200 // for the truncation note and closing tags
	left := 0
	for ci, c := range r.Clusters {
		if len(c.Objects) == 0 && len(c.Failures) == 0 && len(c.Duplicates) == 0 {
			continue
		}
		section := fmt.Sprintf("\n<details><summary><b>%s</b>: %s</summary>\n\n", htmlEscape(c.Cluster), htmlEscape(c.counts()))
		if head.Len()+body.Len()+len(section)+reserve > limit {
			left += countLeft(r.Clusters[ci:])
			break
		}
		body.WriteString(section)
		for oi, ch := range c.Objects {
			item := markdownObject(ch)
			if head.Len()+body.Len()+len(item)+reserve > limit {
				left += len(c.Objects) - oi + countLeft(r.Clusters[ci+1:])
				body.WriteString("</details>\n")
				goto done
			}
			body.WriteString(item)
		}
		for _, f := range c.Failures {
			body.WriteString(fmt.Sprintf("- :x: build failed (%s) `%s`: `%s:%d`: %s\n", sideText(f.Side), f.Kustomization, f.File, f.Line, mdEscape(f.Message)))
		}
		for _, d := range c.Duplicates {
			id := Change{Kind: d.Kind, Namespace: d.Namespace, Name: d.Name}.id()
			body.WriteString(fmt.Sprintf("- :warning: duplicate `%s` (%s side), not compared: applied by %s\n", id, d.Side, "`"+strings.Join(d.Kustomizations, "` and `")+"`"))
		}
		if !strings.HasSuffix(body.String(), "\n\n") {
			body.WriteString("\n")
		}
		body.WriteString("</details>\n")
	}
done:
	if left > 0 {
		fmt.Fprintf(&body, "\n_Truncated to stay under GitHub's comment limit: %d more object%s not shown; run `gitops-hook diff --rendered` locally for the rest._\n", left, plural(left))
	}
	return head.String() + body.String()
}

func sideText(side string) string {
	if side == "both" {
		return "both sides"
	}
	return side + " side"
}

func countLeft(cs []Cluster) int {
	n := 0
	for _, c := range cs {
		n += len(c.Objects)
	}
	return n
}

func markdownObject(ch Change) string {
	var sb strings.Builder
	f := ch.File
	if ch.Source != "" {
		f = ch.Source + ":" + f
	}
	fmt.Fprintf(&sb, "- **%s** `%s` from `%s` (`%s`)\n", ch.Change, ch.id(), ch.Kustomization, f)
	if ch.Note != "" {
		fmt.Fprintf(&sb, "  %s\n", mdEscape(ch.Note))
	}
	if ch.Diff != "" {
		fence := "```"
		for strings.Contains(ch.Diff, fence) {
			fence += "`"
		}
		fmt.Fprintf(&sb, "\n%sdiff\n%s%s\n\n", fence, ch.Diff, fence)
	}
	return sb.String()
}

var mdReplacer = strings.NewReplacer("<", "&lt;", ">", "&gt;", "*", "\\*", "_", "\\_", "`", "\\`")

func mdEscape(s string) string { return mdReplacer.Replace(s) }

var htmlReplacer = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func htmlEscape(s string) string { return htmlReplacer.Replace(s) }

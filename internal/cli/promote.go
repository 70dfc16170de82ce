package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/pin"
	"github.com/opencenter-cloud/gitops-hook/internal/promote"
	"github.com/opencenter-cloud/gitops-hook/internal/report"
	"github.com/opencenter-cloud/gitops-hook/internal/workspace"
)

// guardUncommitted refuses to write over work git has not committed.
func guardUncommitted(ws *workspace.Workspace, files []string) error {
	d, err := ws.Uncommitted(files)
	if err != nil {
		return err
	}
	if len(d) > 0 {
		return fmt.Errorf("uncommitted changes in %s: commit or stash them first, or pass --force", strings.Join(d, ", "))
	}
	return nil
}

func printDiff(w io.Writer, changes []promote.Change) {
	for _, c := range changes {
		fmt.Fprint(w, promote.UnifiedDiff(c))
	}
}

func printFindings(w io.Writer, title string, ds []diag.Diagnostic) {
	if len(ds) == 0 {
		return
	}
	fmt.Fprintln(w, title)
	for _, d := range ds {
		fmt.Fprintf(w, "  %s:%d:%d: %s: %s [%s]\n", d.File, d.Range.Start.Line, d.Range.Start.Col, d.Severity, d.Message, d.Rule)
	}
}

func runPromote(ctx context.Context, args []string, env Env) int {
	fs, c := commandWith("promote", help{
		usage: "gitops-hook promote SERVICE --from CLUSTER --to CLUSTER [--dry-run] [--force]",
		about: `Copies a service's overlay (applications/overlays/FROM/services/SERVICE/) to the next
environment, with its Flux Kustomizations, sources and dependsOn, rewritten for TO. Files
TO marks as its own (# gitops:env-local, or envLocal: in .gitops.yaml) are kept. TO keeps
the base tag it pins. The result is analysed first: nothing is written when it adds
errors (unless --force), nor over uncommitted changes (unless --force).`,
		examples: []string{
			"gitops-hook promote gateway-api --from staging-cluster --to prod-cluster --dry-run",
			"gitops-hook promote cert-manager --from dev-cluster --to staging-cluster",
		}}, env, sourceFlags|outputFlags, "text", "json")
	from := fs.String("from", "", "environment (cluster) to promote from")
	to := fs.String("to", "", "environment (cluster) to promote to")
	dry := fs.Bool("dry-run", false, "print the unified diff instead of writing")
	force := fs.Bool("force", false, "write even when the promotion introduces errors")
	pos, code, done := parseArgs(fs, args)
	if done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "gitops-hook promote: "+format+"\n", a...)
		return ExitUsage
	}
	if len(pos) != 1 {
		return fail("want exactly one SERVICE, got %d", len(pos))
	}
	if *from == "" || *to == "" {
		return fail("--from and --to are required")
	}
	if !c.checkFormat(env, "promote") {
		return ExitUsage
	}
	ws, err := c.open(env, "")
	if err != nil {
		return fail("%v", err)
	}
	defer ws.Close()
	plan, err := promote.Promote(ctx, promote.Options{Analysis: ws.Analysis(), Service: pos[0], From: *from, To: *to})
	if err != nil {
		return fail("%v", err)
	}
	if !*dry && !*force {
		if err := guardUncommitted(ws, promote.Files(plan.Fix)); err != nil {
			return fail("%v", err)
		}
	}
	return finishPlan(env, c.format, "promote", plan.Fix.Title, plan.Changes, plan.Notes, plan.Review, plan.NewErrors, *dry, *force, ws.Root)
}

// finishPlan prints a computed fix and, unless dry, writes it when it
// introduces no error (or --force).
func finishPlan(env Env, format, cmd, title string, changes []promote.Change, notes []string, review, newErrs []diag.Diagnostic, dry, force bool, root string) int {
	if format == "json" {
		type jchange struct {
			File   string `json:"file"`
			Action string `json:"action"`
			Diff   string `json:"diff"`
		}
		out := struct {
			Title     string    `json:"title"`
			Changes   []jchange `json:"changes"`
			Notes     []string  `json:"notes"`
			Review    any       `json:"review"`
			NewErrors any       `json:"newErrors"`
			Written   bool      `json:"written"`
		}{Title: title, Notes: notes, Review: jsonDiags(review), NewErrors: jsonDiags(newErrs), Changes: []jchange{}}
		if out.Notes == nil {
			out.Notes = []string{}
		}
		for _, c := range changes {
			out.Changes = append(out.Changes, jchange{c.File, action(c), promote.UnifiedDiff(c)})
		}
		code := ExitOK
		if !dry && (len(newErrs) == 0 || force) {
			if err := workspace.WriteChanges(root, changes); err != nil {
				fmt.Fprintf(env.Stderr, "gitops-hook %s: %v\n", cmd, err)
				return ExitUsage
			}
			out.Written = true
		} else if len(newErrs) > 0 {
			code = ExitFinding
		}
		if writeJSONOut(env, out) != ExitOK {
			return ExitUsage
		}
		return code
	}
	w := env.Stdout
	if dry {
		printDiff(w, changes)
	}
	fmt.Fprintf(w, "%s: %d file(s)\n", title, len(changes))
	for _, c := range changes {
		fmt.Fprintf(w, "  %-7s %s\n", action(c), c.File)
	}
	for _, n := range notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	printFindings(w, "to review (values that usually differ per environment):", review)
	if len(newErrs) > 0 {
		printFindings(w, "new errors this change would introduce:", newErrs)
	}
	switch {
	case dry:
		if len(newErrs) > 0 {
			return ExitFinding
		}
		return ExitOK
	case len(newErrs) > 0 && !force:
		fmt.Fprintf(env.Stderr, "gitops-hook %s: not written: %d new error(s); fix them or pass --force\n", cmd, len(newErrs))
		return ExitFinding
	case len(changes) == 0:
		fmt.Fprintln(w, "nothing to change")
		return ExitOK
	}
	if err := workspace.WriteChanges(root, changes); err != nil {
		fmt.Fprintf(env.Stderr, "gitops-hook %s: %v\n", cmd, err)
		return ExitUsage
	}
	fmt.Fprintf(w, "written: %d file(s)\n", len(changes))
	return ExitOK
}

func action(c promote.Change) string {
	switch {
	case c.Before == nil:
		return "create"
	case c.After == nil:
		return "delete"
	}
	return "modify"
}

func jsonDiags(ds []diag.Diagnostic) any {
	if len(ds) == 0 {
		return []struct{}{}
	}
	return report.JSON(ds)
}

func runPin(ctx context.Context, args []string, env Env) int {
	fs, c := commandWith("pin", help{
		usage: "gitops-hook pin SOURCE (--previous | --next | --tag T) [--cluster C] [--reject] [--dry-run] [--force]",
		about: `Moves the tag a GitRepository pins (spec.ref.tag), keeping comments and layout. SOURCE is a
GitRepository name or a repository URL (then every source of it). --previous and --next
follow the repository's tag history and skip rejected tags. Every Kustomization reading
the new tag is analysed first: nothing is written when it adds errors (unless --force),
nor over uncommitted changes (unless --force).`,
		examples: []string{
			"gitops-hook pin opencenter-cert-manager --cluster dev-cluster --previous --dry-run",
			"gitops-hook pin opencenter-gateway-api --tag 2026.02 --cluster staging-cluster",
			"gitops-hook pin opencenter-cert-manager --cluster dev-cluster --previous --reject",
		}}, env, sourceFlags|outputFlags, "text", "json")
	prev := fs.Bool("previous", false, "pin the tag before the current one")
	next := fs.Bool("next", false, "pin the tag after the current one")
	tag := fs.String("tag", "", "pin this tag")
	cluster := fs.String("cluster", "", "only the sources of this cluster")
	reject := fs.Bool("reject", false, "record the abandoned tag in .gitops.yaml rejectedTags")
	dry := fs.Bool("dry-run", false, "print the unified diff and the damage instead of writing")
	force := fs.Bool("force", false, "write even when the new tag breaks something")
	pos, code, done := parseArgs(fs, args)
	if done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "gitops-hook pin: "+format+"\n", a...)
		return ExitUsage
	}
	if len(pos) != 1 {
		return fail("want exactly one SOURCE, got %d", len(pos))
	}
	n := 0
	for _, b := range []bool{*prev, *next, *tag != ""} {
		if b {
			n++
		}
	}
	if n != 1 {
		return fail("give exactly one of --previous, --next, --tag T")
	}
	if !c.checkFormat(env, "pin") {
		return ExitUsage
	}
	ws, err := c.open(env, "")
	if err != nil {
		return fail("%v", err)
	}
	defer ws.Close()
	plan, err := pin.Pin(ctx, pin.Options{Analysis: ws.Analysis(), Source: pos[0], Cluster: *cluster, Previous: *prev, Next: *next, Tag: *tag, Reject: *reject})
	if err != nil {
		return fail("%v", err)
	}
	if !*dry && !*force {
		if err := guardUncommitted(ws, promote.Files(plan.Fix)); err != nil {
			return fail("%v", err)
		}
	}
	notes := plan.Notes
	for _, t := range plan.Targets {
		notes = append(notes, fmt.Sprintf("%s: GitRepository %s %s -> %s", t.File, t.Name, t.From, t.To))
	}
	for _, d := range plan.Resolved {
		notes = append(notes, fmt.Sprintf("resolves %s:%d: %s [%s]", d.File, d.Range.Start.Line, d.Message, d.Rule))
	}
	title := plan.Fix.Title
	if title == "" {
		title = "Pin " + pos[0]
	}
	return finishPlan(env, c.format, "pin", title, plan.Changes, notes, nil, plan.NewErrors, *dry, *force, ws.Root)
}

func runDiff(ctx context.Context, args []string, env Env) int {
	fs, c := commandWith("diff", help{
		usage: "gitops-hook diff [A B] [flags]",
		about: `Compares environments. With two clusters A and B: per service, the files that differ,
the tags each pins, and the services in only one. Without: the matrix of every service by
every environment, each cell against the environment before it. With --rendered: what
Flux would apply differently (see gitops-hook diff --rendered --help).`,
		examples: []string{
			"gitops-hook diff",
			"gitops-hook diff staging-cluster prod-cluster --format json",
		}}, env, sourceFlags|outputFlags, "text", "json")
	pos, code, done := parseArgs(fs, args)
	if done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "gitops-hook diff: "+format+"\n", a...)
		return ExitUsage
	}
	if len(pos) != 0 && len(pos) != 2 {
		return fail("want two environments or none, got %d", len(pos))
	}
	if !c.checkFormat(env, "diff") {
		return ExitUsage
	}
	ws, err := c.open(env, "")
	if err != nil {
		return fail("%v", err)
	}
	defer ws.Close()
	snap := analysis.Load(ctx, ws.Analysis(), ws.Config)
	var names []string
	for _, cl := range snap.Clusters {
		names = append(names, cl.Name)
	}
	if len(names) == 0 {
		return fail("no cluster found in %s (looked for applications/overlays/<cluster>/ and clusters/<name>/)", ws.Root)
	}
	if err := ws.Config.CheckEnvironments(names); err != nil {
		return fail("%v", err)
	}
	if len(pos) == 2 {
		d, err := promote.Compare(snap, pos[0], pos[1])
		if err != nil {
			return fail("%v", err)
		}
		if c.format == "json" {
			return writeJSONOut(env, d)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "SERVICE\tDIFFERING FILES\t%s PINS\t%s PINS\n", d.A, d.B)
		for _, s := range d.Services {
			files := "(same)"
			if len(s.Files) > 0 {
				files = strings.Join(s.Files, ", ")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Service, files, orDash(s.PinsA), orDash(s.PinsB))
		}
		tw.Flush()
		if len(d.OnlyA) > 0 {
			fmt.Fprintf(env.Stdout, "only in %s: %s\n", d.A, strings.Join(d.OnlyA, ", "))
		}
		if len(d.OnlyB) > 0 {
			fmt.Fprintf(env.Stdout, "only in %s: %s\n", d.B, strings.Join(d.OnlyB, ", "))
		}
		return ExitOK
	}
	m, err := promote.EnvMatrix(snap)
	if err != nil {
		return fail("%v", err)
	}
	if c.format == "json" {
		return writeJSONOut(env, m)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "SERVICE")
	for _, e := range m.Envs {
		fmt.Fprintf(tw, "\t%s", e)
	}
	fmt.Fprintln(tw)
	for _, s := range m.Services {
		fmt.Fprint(tw, s)
		for _, cell := range m.Cells[s] {
			fmt.Fprintf(tw, "\t%s", cellText(cell))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	return ExitOK
}

func orDash(ss []string) string {
	if len(ss) == 0 {
		return "-"
	}
	return strings.Join(ss, ", ")
}

// cellText shows the refs pinned (without source names) and how the cell
// compares with the environment before.
func cellText(c promote.Cell) string {
	if !c.Present {
		return "-"
	}
	refs := map[string]bool{}
	var list []string
	for _, p := range c.Pins {
		_, ref, _ := strings.Cut(p, "@")
		if !refs[ref] {
			refs[ref] = true
			list = append(list, ref)
		}
	}
	s := "present"
	if len(list) > 0 {
		s = strings.Join(list, ",")
	}
	switch c.Status {
	case "same":
		s += " (same)"
	case "different":
		s += fmt.Sprintf(" (%d differ)", c.Differ)
	case "new":
		s += " (new)"
	}
	return s
}

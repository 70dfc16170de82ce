package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/rdiff"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
)

const renderedDiffUsage = `Usage: gitops-hook diff --rendered [REV] [--staged] [--cluster C] [--format text|json|markdown] [--all] [flags]

Compares what Flux would apply to every cluster at REV (default HEAD; any revision git understands,
read with go-git) with what it would apply from the working tree (or, with --staged, from the index).
Every Flux Kustomization of every cluster is rendered on both sides the way gitops-hook build renders
it (bases followed to the tags they pin, Flux's patches, targetNamespace, commonMetadata and postBuild
substitution applied), and objects are matched by cluster, kind, namespace and name.

A values edit shows as the one Secret it changes; a tag bump as the objects the base changed between
the two tags. Secret values are never printed: SOPS-encrypted objects are compared as ciphertext and
shown as "encrypted, changed", and a plain Secret names the keys whose values changed. A Kustomization
that fails to render on one side is reported as a failed build and its objects are left out; two
objects with the same identity are reported, not merged; large and binary objects are summarised.

Formats: text (per cluster, each changed object with the Kustomization and file that produce it and a
unified diff of its YAML), json ({"clusters":[...],"summary":{...}}; unchanged objects only with
--all), markdown (folded per cluster, for a pull-request comment, under GitHub's 65,536 characters).

Exit codes: 0 compared (whether or not anything changed), 2 cannot run (unknown REV, no repository).

Examples:
  gitops-hook diff --rendered                      # HEAD against the working tree
  gitops-hook diff --rendered origin/main --format markdown > comment.md
  gitops-hook diff --rendered HEAD --staged --cluster prod-cluster`

func runRenderedDiff(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("diff --rendered", env)
	c := &common{format: "text"}
	c.registerSourceFlags(fs)
	fs.Bool("rendered", true, "compare what Flux applies (this mode)")
	staged := fs.Bool("staged", false, "compare REV with the index instead of the working tree")
	var clusters multiFlag
	fs.Var(&clusters, "cluster", "only this cluster (repeatable)")
	format := fs.String("format", "text", "text, json or markdown")
	all := fs.Bool("all", false, "(json) list unchanged objects too")
	fs.Usage = func() {
		printHelp(env.Stderr, fs, help{about: renderedDiffUsage})
	}
	pos, code, done := parseArgs(fs, args)
	if done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "gitops-hook diff --rendered: "+format+"\n", a...)
		return ExitUsage
	}
	if len(pos) > 1 {
		return fail("one revision at most, got %d", len(pos))
	}
	rev := "HEAD"
	if len(pos) == 1 {
		rev = pos[0]
	}
	if *format != "text" && *format != "json" && *format != "markdown" {
		return fail("--format %s: want text, json or markdown", *format)
	}
	ws, err := c.open(env, "")
	if err != nil {
		return fail("%v", err)
	}
	defer ws.Close()
	if ws.GitTop == "" {
		return fail("%s is not in a git repository: there is no revision to compare with", ws.Root)
	}
	oldState, err := stateOf(ws, false, rev)
	if err != nil {
		return fail("%v", err)
	}
	curState, err := stateOf(ws, *staged, "")
	if err != nil {
		return fail("%v", err)
	}
	oldSnap := loadState(ctx, ws, oldState)
	curSnap := loadState(ctx, ws, curState)
	known := map[string]bool{}
	for _, s := range [][]string{clusterNames(oldSnap.Clusters), clusterNames(curSnap.Clusters)} {
		for _, n := range s {
			known[n] = true
		}
	}
	for _, cl := range clusters {
		if !known[cl] {
			return fail("no cluster %q at %s or in the %s (clusters: %s)", cl, rev, curState.label, strings.Join(sortedSet(known), ", "))
		}
	}
	rep := rdiff.Compare(ctx, oldSnap, curSnap, rdiff.Options{Clusters: clusters, Renderer: render.New()})
	switch *format {
	case "json":
		err = rep.Filtered(*all).WriteJSON(env.Stdout)
	case "markdown":
		_, err = fmt.Fprint(env.Stdout, rep.Filtered(false).Markdown(fmt.Sprintf("Rendered diff %s → %s:", rev, curState.label), 0))
	default:
		err = writeRenderedText(env, c, rep.Filtered(false))
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "gitops-hook diff --rendered: writing output: %v\n", err)
		return ExitUsage
	}
	return ExitOK
}

func writeRenderedText(env Env, c *common, rep *rdiff.Report) error {
	color := c.color(env)
	var sb strings.Builder
	for _, l := range rep.TextLines() {
		text := l.Text
		if color {
			code := map[string]string{"cluster": "\x1b[1m", "add": "\x1b[32m", "del": "\x1b[31m", "hunk": "\x1b[36m", "error": "\x1b[31;1m", "note": "\x1b[33m"}[l.Kind]
			if code != "" {
				text = code + text + "\x1b[0m"
			}
		}
		sb.WriteString(text)
		sb.WriteByte('\n')
	}
	_, err := fmt.Fprint(env.Stdout, sb.String())
	return err
}

// hasRendered reports whether diff is asked for the rendered comparison.
func hasRendered(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "--rendered" || a == "-rendered" || a == "--rendered=true" || a == "-rendered=true" {
			return true
		}
	}
	return false
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func clusterNames(cs []*model.Cluster) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

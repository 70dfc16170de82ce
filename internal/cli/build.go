package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/build"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/report"
)

const buildUsage = `Usage: gitops-hook build NAME [--cluster C] [--namespace NS] [--staged | --revision REV]
                         [--format yaml|json] [--show-secrets] [flags]

Prints exactly what kustomize-controller would apply for the Flux Kustomization NAME (or NS/NAME),
offline: the kustomize build of spec.path in the source it names (this repository, or the base at
the tag it pins, without the files .sourceignore and the source's spec.ignore exclude), with Flux's
own steps in Flux's order: spec.patches, images, namePrefix/nameSuffix, targetNamespace (merged
into the build), postBuild substitution (substitute, and substituteFrom ConfigMaps and Secrets the
repository defines; optional honoured; objects labelled or annotated
kustomize.toolkit.fluxcd.io/substitute: disabled left alone), the kustomize.toolkit.fluxcd.io/name
and /namespace labels, then commonMetadata. Objects come in the order flux build kustomization
prints them (kustomize's, unsorted).

SOPS-encrypted values are shown as **SOPS**, as flux build does; the other values of Secrets are
shown as *** unless --show-secrets.

Exit codes: 0 built, 1 the build fails (the error is printed at the file and line it comes from,
nothing is written to stdout), 2 cannot run (unknown NAME: the closest names are listed; a NAME
several clusters define: pick one with --cluster; unknown REV).

Examples:
  gitops-hook build cert-manager --cluster dev-cluster
  gitops-hook build flux-system/cert-manager --revision HEAD~1 --format json
  gitops-hook build cert-manager --staged --show-secrets | kubectl diff -f -`

func runBuild(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("build", env)
	c := &common{format: "text"}
	c.registerSourceFlags(fs)
	cluster := fs.String("cluster", "", "the cluster, when several define NAME")
	namespace := fs.String("namespace", "", "the Kustomization's namespace (or give NAME as NS/NAME)")
	staged := fs.Bool("staged", false, "build what the git index holds")
	revision := fs.String("revision", "", "build the repository as it is at this git revision (tag, branch, HEAD~1, hash)")
	format := fs.String("format", "yaml", "yaml (multi-document, as flux build prints) or json (a list with the cluster, Kustomization and source file of each object)")
	showSecrets := fs.Bool("show-secrets", false, "print the values of Secrets that are not SOPS-encrypted")
	fs.Usage = func() {
		printHelp(env.Stderr, fs, help{about: buildUsage})
	}
	pos, code, done := parseArgs(fs, args)
	if done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "gitops-hook build: "+format+"\n", a...)
		return ExitUsage
	}
	if len(pos) != 1 {
		return fail("want one Flux Kustomization name, got %d (see gitops-hook build --help)", len(pos))
	}
	if *format != "yaml" && *format != "json" {
		return fail("--format %s: build prints yaml or json", *format)
	}
	if *staged && *revision != "" {
		return fail("--staged and --revision exclude each other")
	}
	name := pos[0]
	if *namespace != "" {
		if strings.Contains(name, "/") {
			return fail("give the namespace once: --namespace %s or %s", *namespace, name)
		}
		name = *namespace + "/" + name
	}
	ws, err := c.open(env, "")
	if err != nil {
		return fail("%v", err)
	}
	defer ws.Close()
	st, err := stateOf(ws, *staged, *revision)
	if err != nil {
		return fail("%v", err)
	}
	snap := loadState(ctx, ws, st)
	k, err := build.Find(build.List(snap), name, *cluster)
	if err != nil {
		var nf *build.NotFoundError
		var amb *build.AmbiguousError
		switch {
		case errors.As(err, &nf) && len(nf.Closest) > 0:
			return fail("no Flux Kustomization %q%s in the %s; did you mean: %s?", name, inCluster(*cluster), st.label, strings.Join(nf.Closest, ", "))
		case errors.As(err, &nf):
			return fail("no Flux Kustomization %q%s in the %s", name, inCluster(*cluster), st.label)
		case errors.As(err, &amb):
			var lines []string
			for _, m := range amb.Matches {
				lines = append(lines, fmt.Sprintf("  --cluster %-20s %s (%s)", m.Cluster, m.ID(), m.File))
			}
			return fail("%q is defined %d times; pick one:\n%s", name, len(amb.Matches), strings.Join(lines, "\n"))
		}
		return fail("%v", err)
	}
	res := build.New(snap, build.Options{}).Build(ctx, k)
	for _, w := range res.Warnings {
		fmt.Fprintf(env.Stderr, "gitops-hook build: warning: %s\n", w)
	}
	if res.Err != nil {
		summary := fmt.Sprintf("build of Flux Kustomization %s (cluster %s) failed", k.ID(), k.Cluster)
		_ = report.Write(env.Stderr, "text", []diag.Diagnostic{*res.Err}, 0, report.Options{Color: c.color(env), Summary: summary})
		return ExitFinding
	}
	if *format == "json" {
		err = build.WriteJSON(env.Stdout, res, *showSecrets)
	} else {
		err = build.WriteYAML(env.Stdout, res.Objects, *showSecrets)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "gitops-hook build: writing output: %v\n", err)
		return ExitUsage
	}
	return ExitOK
}

func inCluster(c string) string {
	if c == "" {
		return ""
	}
	return " in cluster " + c
}

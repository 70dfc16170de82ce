// Package cli implements the gitops-hook command line: flag parsing,
// choosing a repository view, and printing what the engine found.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/schema"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/suggest"
	"github.com/opencenter-cloud/gitops-hook/internal/cache"
	"github.com/opencenter-cloud/gitops-hook/internal/report"
	"github.com/opencenter-cloud/gitops-hook/internal/workspace"
)

// Exit codes of the contract.
const (
	ExitOK      = 0
	ExitFinding = 1
	ExitUsage   = 2
)

// Env is what the command reads from its environment.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Dir    string // working directory
	IsTTY  bool   // stdout is a terminal
}

const usage = `gitops-hook: checks a FluxCD GitOps repository (openCenter layout) before its mistakes reach a cluster.

Usage:
  gitops-hook check [PATH] [flags]    analyse the working tree and report on PATH (default: .); the root is the
                                      nearest folder at or above PATH holding .gitops.yaml, else the git top-level
  gitops-hook run [flags]             the pre-commit hook: analyse the staged content (the git index)
  gitops-hook install [--force]       install the pre-commit hook (honours core.hooksPath, chains existing hooks)
  gitops-hook uninstall               remove the hook and restore what was there
  gitops-hook promote SERVICE --from CLUSTER --to CLUSTER [--dry-run]
  gitops-hook pin SOURCE (--previous | --next | --tag T) [--cluster C] [--reject]
  gitops-hook build NAME [--cluster C] [--staged | --revision REV]
                                      what one Flux Kustomization applies, rendered as Flux does
  gitops-hook diff [A B]              compare environments
  gitops-hook diff --rendered [REV] [--staged]
                                      what Flux would apply differently, per cluster, from REV to now
  gitops-hook rules                   list every rule with its ID, default severity and description
  gitops-hook version                 print version information

Common flags:
  --format text|json|sarif|github     output format (default text)
  --offline                           never touch the network
  --mirror URL=DIR                    read the repository at URL from a local clone or bare repo (repeatable)
  --config FILE                       configuration file (default: .gitops.yaml at the repository root)
  --no-color                          no colours (NO_COLOR is honoured too)
  --strict                            warnings fail too (exit 1)
  --rule ID                           report only this rule (repeatable)
  --schema-location DIR|TEMPLATE      JSON schemas for kinds the repository has no CRD for, read before the
                                      built-in Kubernetes schemas (a folder, or a kubeconform path template)
  --verbose                           text output: every finding (check folds repeated infos; run shows the infos
                                      of the changed files only)
  --fix                               (check, run) apply the safe fixes to the working tree, never to the index;
                                      files with uncommitted changes only with --force

Exit codes: 0 no error, 1 at least one error (or warning with --strict), 2 the tool could not run.
`

// Run executes the command line and returns the exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return ExitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "check":
		return runCheck(ctx, rest, env)
	case "run":
		return runHook(ctx, rest, env)
	case "install":
		return runInstall(rest, env, false)
	case "uninstall":
		return runInstall(rest, env, true)
	case "promote":
		return runPromote(ctx, rest, env)
	case "pin":
		return runPin(ctx, rest, env)
	case "build":
		return runBuild(ctx, rest, env)
	case "diff":
		if hasRendered(rest) {
			return runRenderedDiff(ctx, rest, env)
		}
		return runDiff(ctx, rest, env)
	case "rules":
		return runRules(rest, env)
	case "version", "--version":
		return runVersion(rest, env)
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "gitops-hook: unknown command %q\n\n%s", cmd, usage)
	return ExitUsage
}

// common holds the flags the analysing commands share.
type common struct {
	format     string
	formats    []string // the formats this command prints; nil: report.Formats()
	offline    bool
	mirrors    multiFlag
	configFile string
	noColor    bool
	strict     bool
	rules      multiFlag
	schemaLocs multiFlag
	verbose    bool
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func (c *common) register(fs *flag.FlagSet, groups flagGroups) {
	if groups&outputFlags != 0 {
		if c.formats == nil {
			c.formats = report.Formats()
		}
		fs.StringVar(&c.format, "format", c.formats[0], "output `format`: "+strings.Join(c.formats, ", "))
		fs.BoolVar(&c.noColor, "no-color", false, "disable colours (NO_COLOR is honoured too)")
	} else {
		c.format = "text"
	}
	if groups&sourceFlags != 0 {
		fs.BoolVar(&c.offline, "offline", false, "never touch the network")
		fs.Var(&c.mirrors, "mirror", "`URL=DIR`: read the repository at URL from the local clone or bare repository DIR (repeatable)")
		fs.StringVar(&c.configFile, "config", "", "configuration `file` (default: .gitops.yaml at the repository root)")
	}
	if groups&findingFlags != 0 {
		fs.BoolVar(&c.strict, "strict", false, "warnings fail too (exit 1)")
		fs.Var(&c.rules, "rule", "report only this rule `ID` (repeatable; see gitops-hook rules)")
		fs.BoolVar(&c.verbose, "verbose", false, "text output: list every finding (check folds repeated infos of one rule; run shows only the infos of the changed files)")
		fs.Var(&c.schemaLocs, "schema-location", "JSON schemas for kinds the repository has no CRD for: a `folder` or a kubeconform path template (repeatable)")
	}
}

// checkFormat rejects a --format the command does not print.
func (c *common) checkFormat(env Env, name string) bool {
	if slices.Contains(c.formats, c.format) || (c.formats == nil && c.format == "text") {
		return true
	}
	fmt.Fprintf(env.Stderr, "gitops-hook %s: unknown --format %q (%s prints %s)\n", name, c.format, name, strings.Join(c.formats, ", "))
	return false
}

// schemas builds the schema cache from --schema-location: local folders or
// kubeconform templates; downloading is refused, the analysis is offline.
func (c *common) schemas(env Env) (*analysis.Schemas, error) {
	var locs []string
	for _, l := range c.schemaLocs {
		if strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || l == "default" {
			return nil, fmt.Errorf("--schema-location %s: only local schemas are read (download them and pass the folder)", l)
		}
		if !filepath.IsAbs(l) {
			l = filepath.Join(env.Dir, l)
		}
		dir := l
		if i := strings.Index(dir, "{{"); i >= 0 {
			dir = filepath.Dir(dir[:i] + "x")
		}
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("--schema-location %s: %w", l, errors.Unwrap(err))
		}
		locs = append(locs, filepath.ToSlash(l))
	}
	return analysis.NewSchemas(schema.Options{SchemaLocations: locs}), nil
}

// session returns the analysis Session of the process: its builds and
// validations are kept in the disk cache (builds/ in the cache folder)
// unless GITOPS_HOOK_CACHE=off. A cache that cannot be written is said in
// one line on stderr, and the analysis goes on without it.
// The entries of one repository (its git top-level, else its root folder)
// are kept together.
func (c *common) session(env Env, root string, schemas *analysis.Schemas) *analysis.Session {
	o := analysis.SessionOptions{Schemas: schemas}
	if env.Getenv("GITOPS_HOOK_CACHE") != "off" {
		if dir := workspace.CacheDir(env.Getenv("XDG_CACHE_HOME")); dir != "" {
			o.Cache = cache.Open(filepath.Join(dir, "builds"), root, 0, func(msg string) {
				fmt.Fprintf(env.Stderr, "gitops-hook: %s (%s)\n", msg, "set GITOPS_HOOK_CACHE=off to silence this")
			})
		}
	}
	return analysis.NewSession(o)
}

// parse parses flags that may come before or after positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseArgs parses a subcommand's arguments; when done is set the command
// returns code at once (after --help, or a bad flag already reported).
func parseArgs(fs *flag.FlagSet, args []string) (pos []string, code int, done bool) {
	pos, err := parse(fs, args)
	switch {
	case err == nil:
		return pos, ExitOK, false
	case errors.Is(err, flag.ErrHelp):
		return nil, ExitOK, true
	}
	return nil, ExitUsage, true
}

func newFlagSet(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet("gitops-hook "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// open opens the workspace for path ("" is the current folder) with the
// common flags: one root rule and one configuration loader for every
// command.
func (c *common) open(env Env, path string) (*workspace.Workspace, error) {
	if err := c.checkRules(); err != nil {
		return nil, err
	}
	return workspace.Open(c.workspaceOptions(env, path))
}

// checkRules rejects a --rule naming no rule, suggesting the one meant.
func (c *common) checkRules() error {
	for _, id := range c.rules {
		if _, ok := catalog.Lookup(id); !ok {
			return fmt.Errorf("--rule %s: no such rule%s (see gitops-hook rules)", id, suggest.DidYouMean(id, workspace.RuleIDs()))
		}
	}
	return nil
}

func (c *common) workspaceOptions(env Env, path string) workspace.Options {
	return workspace.Options{Dir: env.Dir, Path: path, ConfigFile: c.configFile, Mirrors: c.mirrors,
		Offline: c.offline, CacheHome: env.Getenv("XDG_CACHE_HOME")}
}

func (c *common) color(env Env) bool {
	return env.IsTTY && !c.noColor && env.Getenv("NO_COLOR") == "" && c.format == "text"
}

// exitFor maps findings to the exit code.
func (c *common) exitFor(ds []diag.Diagnostic) int {
	for _, d := range ds {
		if d.Severity == diag.Error || (c.strict && d.Severity == diag.Warning) {
			return ExitFinding
		}
	}
	return ExitOK
}

func runCheck(ctx context.Context, args []string, env Env) int {
	fs, c := commandWith("check", help{
		usage: "gitops-hook check [PATH] [flags]",
		about: `Analyses the working tree of the repository holding PATH (default: the current folder) and
reports the findings in PATH. The repository root is the nearest folder at or above PATH
holding .gitops.yaml, else the git top-level (Flux resolves spec.path from there), else PATH.
Exit 0: no error; 1: at least one error (or warning with --strict); 2: could not run,
including a PATH with no GitOps layout to analyse.`,
		examples: []string{
			"gitops-hook check testdata/demo",
			"gitops-hook check applications/overlays/staging-cluster --format json",
			"gitops-hook check --mirror ssh://git@github.com/org/gitops-base.git=../gitops-base --strict",
			"gitops-hook check --fix      # apply the safe fixes (never a tag, suspend or path change)",
		}}, env, allCommon)
	fix := fs.Bool("fix", false, "apply the safe fixes of errors and warnings to the files, as one transaction")
	force := fs.Bool("force", false, "with --fix: also fix files that have uncommitted changes")
	pos, code, done := parseArgs(fs, args)
	if done {
		return code
	}
	if !c.checkFormat(env, "check") {
		return ExitUsage
	}
	if len(pos) > 1 {
		fmt.Fprintf(env.Stderr, "gitops-hook check: one folder at most, got %d\n", len(pos))
		return ExitUsage
	}
	path := ""
	if len(pos) == 1 {
		path = pos[0]
	}
	fail := func(err error) int {
		fmt.Fprintf(env.Stderr, "gitops-hook check: %v\n", err)
		return ExitUsage
	}
	ws, err := c.open(env, path)
	if err != nil {
		return fail(err)
	}
	defer ws.Close()
	schemas, err := c.schemas(env)
	if err != nil {
		return fail(err)
	}
	ns := ws.GitTop // the hook's namespace: they share entries
	if ns == "" {
		ns = ws.Root
	}
	sess := c.session(env, ns, schemas)
	defer sess.Close()
	opts := ws.Analysis()
	opts.Rules, opts.Schemas, opts.Renderer = c.rules, schemas, sess.Renderer()
	result, err := sess.Analyze(ctx, opts)
	if err != nil {
		return fail(err)
	}
	if len(result.Clusters) == 0 {
		hint := "point check at the root of a GitOps repository"
		if result.Model != nil && result.Model.Repo != nil {
			if d := result.Model.Repo.SuggestRoot(); d != "" {
				hint = fmt.Sprintf("the Flux paths here are relative to %s/ (an artifact built from that folder?): put a .gitops.yaml there to make it the root, then run gitops-hook check %s",
					d, filepath.Join(ws.Root, filepath.FromSlash(d)))
			}
		}
		return fail(fmt.Errorf("nothing to analyse in %s: no cluster found (looked for applications/overlays/<cluster>/, "+
			"clusters/<name>/ with a flux-system/ folder, and Flux Kustomizations applying their own folder); %s", ws.Root, hint))
	}
	if err := ws.Config.CheckEnvironments(result.Clusters); err != nil {
		return fail(err)
	}
	reportInternalErrors(env, result)
	if *fix {
		result, code = c.fixCheck(ctx, env, ws, opts, result, *force)
		if code != ExitOK {
			return code
		}
	}
	ds := result.Diagnostics
	if ws.Focus != "" {
		ds = slices.DeleteFunc(slices.Clone(ds), func(d diag.Diagnostic) bool { return !ws.InFocus(d.File) })
	}
	if err := report.Write(env.Stdout, c.format, ds, result.Files, report.Options{Color: c.color(env), Fold: !c.verbose}); err != nil {
		fmt.Fprintf(env.Stderr, "gitops-hook: writing output: %v\n", err)
		return ExitUsage
	}
	return c.exitFor(ds)
}

// fixCheck applies the safe fixes of check --fix as one transaction; the
// files with uncommitted work are left alone unless force.
func (c *common) fixCheck(ctx context.Context, env Env, ws *workspace.Workspace, opts analysis.Options, before *analysis.Result, force bool) (*analysis.Result, int) {
	refuse := func(p string) error {
		if force {
			return nil
		}
		d, err := ws.Uncommitted([]string{p})
		if err != nil {
			return err
		}
		if len(d) > 0 {
			return errors.New("it has uncommitted changes; commit or stash them first, or pass --force")
		}
		return nil
	}
	out, err := workspace.SafeFixes(ctx, opts, before, refuse)
	if err != nil {
		fmt.Fprintf(env.Stderr, "gitops-hook check: --fix: %v\n", err)
		return nil, ExitUsage
	}
	after, code := finishFix(env, ws.Root, out)
	if after == nil {
		after = before
	}
	return after, code
}

// finishFix writes a fix transaction unless it adds errors and tells what
// it did on stderr. It returns the analysis of the written result, or nil
// when nothing was written.
func finishFix(env Env, root string, out *workspace.FixOutcome) (*analysis.Result, int) {
	for _, s := range out.Skipped {
		fmt.Fprintf(env.Stderr, "gitops-hook: not fixing %s\n", s)
	}
	switch {
	case len(out.Changes) == 0:
		if len(out.Applied) == 0 {
			fmt.Fprintln(env.Stderr, "gitops-hook: no safe fix to apply")
		}
		return nil, ExitOK
	case out.Refused():
		fmt.Fprintf(env.Stderr, "gitops-hook: --fix wrote nothing: the fixes together would add %d error(s):\n", len(out.NewErrors))
		for _, d := range out.NewErrors {
			fmt.Fprintf(env.Stderr, "  %s:%d:%d: %s [%s]\n", d.File, d.Range.Start.Line, d.Range.Start.Col, d.Message, d.Rule)
		}
		return nil, ExitOK
	}
	if err := workspace.WriteChanges(root, out.Changes); err != nil {
		fmt.Fprintf(env.Stderr, "gitops-hook: --fix: %v\n", err)
		return nil, ExitUsage
	}
	for _, t := range out.Applied {
		fmt.Fprintf(env.Stderr, "fixed %s\n", t)
	}
	return out.After, ExitOK
}

// reportInternalErrors tells about checks that failed; the others ran.
func reportInternalErrors(env Env, result *analysis.Result) {
	for _, e := range result.Errors {
		fmt.Fprintf(env.Stderr, "gitops-hook: %v (please report it; the other checks ran)\n", e)
	}
}

func runRules(args []string, env Env) int {
	fs, c := commandWith("rules", help{
		usage:    "gitops-hook rules [--format text|json]",
		about:    "Lists every rule with its ID, default severity and description. Change a severity with\nrules: in .gitops.yaml, silence one finding with a # gitops:ignore RULE-ID comment.",
		examples: []string{"gitops-hook rules", "gitops-hook rules --format json"},
	}, env, outputFlags, "text", "json")
	pos, code, done := parseArgs(fs, args)
	if done {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(env.Stderr, "gitops-hook rules: unexpected argument %q\n", pos[0])
		return ExitUsage
	}
	if !c.checkFormat(env, "rules") {
		return ExitUsage
	}
	cat := catalog.All()
	sort.SliceStable(cat, func(i, j int) bool { return cat[i].ID < cat[j].ID })
	if c.format == "json" {
		type jr struct {
			ID          string `json:"id"`
			Severity    string `json:"severity"`
			Description string `json:"description"`
			Fix         string `json:"fix,omitempty"`
		}
		var out []jr
		for _, r := range cat {
			out = append(out, jr{r.ID, r.Severity.String(), r.Doc, r.Fix})
		}
		return writeJSONOut(env, out)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	for _, r := range cat {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, r.Severity, r.Doc)
	}
	tw.Flush()
	return ExitOK
}

func runVersion(args []string, env Env) int {
	fs := newFlagSet("version", env)
	fs.Usage = func() {
		printHelp(env.Stderr, fs, help{usage: "gitops-hook version", about: "Prints the version, the commit it was built from, and the Go version and platform."})
	}
	pos, code, done := parseArgs(fs, args)
	if done {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(env.Stderr, "gitops-hook version: unexpected argument %q\n", pos[0])
		return ExitUsage
	}
	version, commit := "(devel)", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	fmt.Fprintf(env.Stdout, "gitops-hook %s\ncommit %s\n%s %s/%s\n", version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return ExitOK
}

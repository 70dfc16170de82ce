package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/gitview"
	"github.com/opencenter-cloud/gitops-hook/internal/hookinstall"
	"github.com/opencenter-cloud/gitops-hook/internal/report"
	"github.com/opencenter-cloud/gitops-hook/internal/workspace"
)

// hookSkipped reports why "run" must not check anything: GITOPS_HOOK=0 or
// SKIP (the pre-commit framework's comma-separated list) naming
// gitops-hook. The installed shim honours both too.
func hookSkipped(env Env) string {
	if strings.TrimSpace(env.Getenv("GITOPS_HOOK")) == "0" {
		return "GITOPS_HOOK=0"
	}
	for _, id := range strings.Split(env.Getenv("SKIP"), ",") {
		if strings.TrimSpace(id) == "gitops-hook" {
			return "SKIP=" + env.Getenv("SKIP")
		}
	}
	return ""
}

func runHook(ctx context.Context, args []string, env Env) int {
	if why := hookSkipped(env); why != "" {
		fmt.Fprintf(env.Stderr, "gitops-hook: skipped (%s)\n", why)
		return ExitOK
	}
	flags, c := commandWith("run", help{
		usage: "gitops-hook run [flags]",
		about: `The pre-commit hook: analyses the staged content (the git index, exactly what the commit
will hold), reporting the findings of the clusters the staged changes affect. It never
changes the index, the working tree, a stash or a ref. Skip it with GITOPS_HOOK=0 or
SKIP=gitops-hook. Exit 1 blocks the commit.`,
		examples: []string{
			"gitops-hook install          # run it at every commit",
			"gitops-hook run              # what the next commit would be told",
			"gitops-hook run --fix        # write the safe fixes to the working tree, then review and git add",
		}}, env, allCommon)
	fix := flags.Bool("fix", false, "apply the safe fixes to the working tree (never to the index)")
	pos, code, done := parseArgs(flags, args)
	if done {
		return code
	}
	if len(pos) > 0 {
		// The pre-commit framework may pass file names; the analysis
		// reads the whole staged repository regardless.
		_ = pos
	}
	if !c.checkFormat(env, "run") {
		return ExitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "gitops-hook run: "+format+"\n", a...)
		return ExitUsage
	}
	v, err := gitview.Staged(env.Dir)
	switch {
	case errors.Is(err, gitview.ErrNotRepository):
		return fail("%s is not inside a git repository: the hook checks what is staged for a commit (use \"gitops-hook check\" for a plain folder)", env.Dir)
	case errors.Is(err, gitview.ErrBare):
		return fail("%v: a bare repository has no index to check", err)
	case err != nil:
		return fail("cannot read the staged content: %v", err)
	}
	top := v.Root()

	// Each changed path belongs to the root check would find for it: the
	// nearest folder holding a staged .gitops.yaml, else the top-level.
	// A rename counts once, but both its sides are changed paths.
	byRoot := map[string][]string{}
	relevant := map[string]int{}
	var changed []string
	for _, ch := range v.Changes() {
		counted := false
		for _, p := range []string{ch.Path, ch.OldPath} {
			if p == "" {
				continue
			}
			changed = append(changed, p)
			root := stagedRoot(v, p)
			rel := relTo(root, p)
			byRoot[root] = append(byRoot[root], rel)
			if !counted && analysis.Relevant(subFS(v, root), rel) {
				relevant[root]++
				counted = true
			}
		}
	}
	var roots []string
	total := 0
	for r, n := range relevant {
		roots = append(roots, r)
		total += n
	}
	sort.Strings(roots)
	if total == 0 {
		if c.format == "text" {
			fmt.Fprintln(env.Stdout, "gitops-hook: no GitOps file staged; nothing to check")
			return ExitOK
		}
		return writeReport(env, c, nil, 0)
	}

	if err := c.checkRules(); err != nil {
		return fail("%v", err)
	}
	var all []diag.Diagnostic
	files, inherited := 0, 0
	scope := &analysis.Scope{}
	sess := c.session(env, top, nil)
	defer sess.Close()
	for _, root := range roots {
		fsys := subFS(v, root)
		cfg, err := hookConfig(c, fsys, env)
		if err != nil {
			return fail("%v", err)
		}
		wopts := c.workspaceOptions(env, "")
		res, err := workspace.NewResolver(cfg, filepath.Join(top, filepath.FromSlash(root)), wopts)
		if err != nil {
			return fail("%v", err)
		}
		origin, _ := gitview.Origin(top)
		opts := analysis.Options{FS: fsys, Config: cfg, Origin: origin, Sources: res, Rules: c.rules, Changed: byRoot[root]}
		result, err := sess.Analyze(ctx, opts)
		if err != nil {
			return fail("%v", err)
		}
		reportInternalErrors(env, result)
		if len(result.Clusters) == 0 {
			where := "the top-level"
			if root != "." {
				where = root + "/"
			}
			hint := "if the GitOps tree sits in a sub-folder, put a .gitops.yaml there to make it the root"
			if result.Model != nil && result.Model.Repo != nil {
				if d := result.Model.Repo.SuggestRoot(); d != "" {
					hint = fmt.Sprintf("the Flux paths here are relative to %s/: put a .gitops.yaml there to make it the root", path.Join(root, d))
				}
			}
			fmt.Fprintf(env.Stderr, "gitops-hook: no cluster found from %s (looked for applications/overlays/<cluster>/, clusters/<name>/flux-system); %s\n", where, hint)
		}
		if *fix {
			guard := func(p string) error {
				staged, err := fs.ReadFile(fsys, p)
				if err != nil {
					return fmt.Errorf("not staged (%v)", err)
				}
				work, err := os.ReadFile(filepath.Join(top, filepath.FromSlash(root), filepath.FromSlash(p)))
				if err != nil {
					return err
				}
				if !bytes.Equal(staged, work) {
					return errors.New("the working copy differs from the staged content; stage or stash those changes first")
				}
				return nil
			}
			out, err := workspace.SafeFixes(ctx, opts, result, guard)
			if err != nil {
				return fail("--fix: %v", err)
			}
			// The commit holds the staged content, not the fixed working
			// copy: the findings reported stay those of the index.
			if _, code := finishFix(env, filepath.Join(top, filepath.FromSlash(root)), out); code != ExitOK {
				return code
			}
			if len(out.Changes) > 0 && !out.Refused() {
				fmt.Fprintf(env.Stderr, "gitops-hook: applied %d fix%s to the working tree; review them, \"git add\" the files and commit again\n", len(out.Applied), pluralES(len(out.Applied)))
			}
		}
		kept, dropped := dropInherited(ctx, sess, top, root, opts, result.Diagnostics)
		result.Diagnostics = kept
		inherited += dropped
		files += result.Files
		scope.All = scope.All || result.Scope.All
		scope.Clusters = append(scope.Clusters, result.Scope.Clusters...)
		for _, d := range result.Diagnostics {
			all = append(all, prefixed(root, d))
		}
	}
	if inherited > 0 && c.format == "text" {
		verb := "were"
		if inherited == 1 {
			verb = "was"
		}
		fmt.Fprintf(env.Stderr, "gitops-hook: %d error%s or warning%s outside the changed files %s already there at HEAD and did not block this commit; \"gitops-hook check\" lists them\n",
			inherited, plural(inherited), plural(inherited), verb)
	}
	opts := report.Options{Color: c.color(env), Summary: hookSummary(all, scope, total)}
	if !c.verbose {
		opts.Changed = changed // infos elsewhere in the affected clusters stay quiet
	}
	if err := report.Write(env.Stdout, c.format, all, files, opts); err != nil {
		return fail("writing output: %v", err)
	}
	return c.exitFor(all)
}

// stagedRoot is the root of a staged path: the nearest folder at or above
// it holding a staged .gitops.yaml, else "." (the top-level), as check
// finds it in the working tree.
func stagedRoot(v fs.FS, p string) string {
	for d := path.Dir(p); ; d = path.Dir(d) {
		if _, err := fs.Stat(v, path.Join(d, config.FileName)); err == nil {
			return d
		}
		if d == "." || d == "/" {
			return "."
		}
	}
}

// relTo makes a top-level path relative to a root.
func relTo(root, p string) string {
	if root == "." {
		return p
	}
	return strings.TrimPrefix(p, root+"/")
}

// subFS is the view below a root.
func subFS(v fs.FS, root string) fs.FS {
	if root == "." {
		return v
	}
	sub, err := fs.Sub(v, root)
	if err != nil {
		return v
	}
	return sub
}

// prefixed makes a finding's paths relative to the top-level again, where
// git runs the hook.
func prefixed(root string, d diag.Diagnostic) diag.Diagnostic {
	if root == "." {
		return d
	}
	d.File = path.Join(root, d.File)
	rel := make([]diag.Related, len(d.Related))
	for i, r := range d.Related {
		if !strings.Contains(r.File, "@") {
			r.File = path.Join(root, r.File)
		}
		rel[i] = r
	}
	d.Related = rel
	return d
}

func writeReport(env Env, c *common, ds []diag.Diagnostic, files int) int {
	if err := report.Write(env.Stdout, c.format, ds, files, report.Options{Color: c.color(env)}); err != nil {
		fmt.Fprintf(env.Stderr, "gitops-hook: writing output: %v\n", err)
		return ExitUsage
	}
	return ExitOK
}

func hookSummary(ds []diag.Diagnostic, s *analysis.Scope, n int) string {
	sum := report.Summarize(ds, 0)
	scope := fmt.Sprintf("%d cluster%s", len(s.Clusters), plural(len(s.Clusters)))
	if s.All {
		scope = "all " + scope
	}
	return fmt.Sprintf("gitops-hook: %d error%s, %d warning%s in %d changed file%s (%s)",
		sum.Errors, plural(sum.Errors), sum.Warnings, plural(sum.Warnings), n, plural(n), scope)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func pluralES(n int) string {
	if n == 1 {
		return ""
	}
	return "es"
}

// hookConfig reads --config from the working tree when given, else
// .gitops.yaml from the staged view: the configuration being committed is
// the one that applies.
func hookConfig(c *common, fsys fs.FS, env Env) (*config.Config, error) {
	if c.configFile == "" {
		return workspace.LoadConfig(fsys, ".")
	}
	p := c.configFile
	if !filepath.IsAbs(p) {
		p = filepath.Join(env.Dir, p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return workspace.ParseConfig(p, data)
}

// runInstall installs or removes the pre-commit shim.
func runInstall(args []string, env Env, uninstall bool) int {
	name := "install"
	if uninstall {
		name = "uninstall"
	}
	fs := newFlagSet(name, env)
	force := false
	h := help{usage: "gitops-hook uninstall",
		about: "Removes the pre-commit hook gitops-hook installed and restores, byte for byte, the hook it chained."}
	if !uninstall {
		fs.BoolVar(&force, "force", false, "also chain a pre-commit hook that another tool installed in .git/hooks")
		h = help{usage: "gitops-hook install [--force]",
			about: `Installs the pre-commit hook in the hooks folder git uses (core.hooksPath honoured). An
existing hook (openCenter's own, in .opencenter/hooks) is chained, never replaced. The hook
runs the binary it was installed from; GITOPS_HOOK_BIN overrides it at commit time.`,
			examples: []string{"gitops-hook install", "GITOPS_HOOK=0 git commit ...   # skip it once"}}
	}
	fs.Usage = func() { printHelp(env.Stderr, fs, h) }
	pos, code, done := parseArgs(fs, args)
	if done {
		return code
	}
	var err error
	if len(pos) > 0 {
		fmt.Fprintf(env.Stderr, "gitops-hook %s: unexpected argument %q\n", name, pos[0])
		return ExitUsage
	}
	opts := hookinstall.Options{RepoDir: env.Dir, Force: force}
	var res hookinstall.Result
	if uninstall {
		res, err = hookinstall.Uninstall(opts)
	} else {
		if opts.Bin, err = os.Executable(); err == nil {
			if resolved, rerr := filepath.EvalSymlinks(opts.Bin); rerr == nil {
				opts.Bin = resolved
			}
		} else {
			opts.Bin = ""
		}
		res, err = hookinstall.Install(opts)
	}
	if err != nil {
		if errors.Is(err, gitview.ErrNotRepository) {
			fmt.Fprintf(env.Stderr, "gitops-hook %s: %s is not inside a git repository\n", name, env.Dir)
			return ExitUsage
		}
		fmt.Fprintf(env.Stderr, "gitops-hook %s: %v\n", name, err)
		return ExitUsage
	}
	fmt.Fprintf(env.Stdout, "gitops-hook: %s\n", res)
	return ExitOK
}

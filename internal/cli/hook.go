package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/gitview"
	"github.com/opencenter-cloud/gitops-hook/internal/hookinstall"
	"github.com/opencenter-cloud/gitops-hook/internal/report"
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
	fs, c := command("run", "Usage: gitops-hook run [flags]\n\nThe pre-commit hook: analyses the staged content (the git index), reporting the\nfindings in the clusters the staged changes affect.", env)
	fix := fs.Bool("fix", false, "apply the safe fixes to the working tree (never to the index)")
	pos, code, done := parseArgs(fs, args)
	if done {
		return code
	}
	if len(pos) > 0 {
		// The pre-commit framework may pass file names; the analysis
		// reads the whole staged repository regardless.
		_ = pos
	}
	if !validFormat(c.format) {
		fmt.Fprintf(env.Stderr, "gitops-hook: unknown --format %q (want %s)\n", c.format, strings.Join(report.Formats(), ", "))
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
	root := v.Root()

	// A rename counts once, but both its sides are changed paths.
	var changed []string
	relevant := 0
	for _, ch := range v.Changes() {
		counted := false
		for _, p := range []string{ch.Path, ch.OldPath} {
			if p == "" {
				continue
			}
			changed = append(changed, p)
			if !counted && analysis.Relevant(v, p) {
				relevant++
				counted = true
			}
		}
	}
	if relevant == 0 {
		if c.format == "text" {
			fmt.Fprintln(env.Stdout, "gitops-hook: no GitOps file staged; nothing to check")
			return ExitOK
		}
		return writeReport(env, c, nil, 0)
	}

	cfg, err := hookConfig(c, v, env)
	if err != nil {
		return fail("%v", err)
	}
	res, err := c.resolver(cfg, root, env)
	if err != nil {
		return fail("%v", err)
	}
	origin, _ := gitview.Origin(root)
	result, err := analysis.Analyze(ctx, analysis.Options{FS: v, Config: cfg, Origin: origin, Sources: res, Rules: c.rules, Changed: changed})
	if err != nil {
		return fail("%v", err)
	}
	reportInternalErrors(env, result)
	opts := report.Options{Color: c.color(env), Summary: hookSummary(result.Diagnostics, result.Scope, relevant)}
	if !c.verbose {
		opts.Changed = changed // infos elsewhere in the affected clusters stay quiet
	}
	if err := report.Write(env.Stdout, c.format, result.Diagnostics, result.Files, opts); err != nil {
		return fail("writing output: %v", err)
	}
	if *fix {
		guard := func(p string, work []byte) error {
			staged, err := v.ReadFile(p)
			if err != nil {
				return fmt.Errorf("not staged (%v)", err)
			}
			if !bytes.Equal(staged, work) {
				return errors.New("the working copy differs from the staged content; stage or stash those changes first")
			}
			return nil
		}
		n, err := applyFixes(root, result.Diagnostics, guard, env.Stderr)
		if err != nil {
			return fail("--fix: %v", err)
		}
		if n > 0 {
			fmt.Fprintf(env.Stderr, "gitops-hook: applied %d fix%s to the working tree; review them, \"git add\" the files and commit again\n", n, pluralES(n))
		}
	}
	return c.exitFor(result.Diagnostics)
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
func hookConfig(c *common, v *gitview.View, env Env) (*config.Config, error) {
	if c.configFile == "" {
		cfg, err := analysis.LoadConfig(v)
		if err != nil {
			return nil, fmt.Errorf("staged %w", err)
		}
		return cfg, nil
	}
	p := c.configFile
	if !filepath.IsAbs(p) {
		p = filepath.Join(env.Dir, p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := config.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return cfg, nil
}

// runInstall installs or removes the pre-commit shim.
func runInstall(args []string, env Env, uninstall bool) int {
	name := "install"
	if uninstall {
		name = "uninstall"
	}
	fs := newFlagSet(name, env)
	force := false
	if !uninstall {
		fs.BoolVar(&force, "force", false, "chain an existing pre-commit hook that is not gitops-hook's")
	}
	pos, err := parse(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
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

// edit is one text replacement in bytes, checked against the file.
type edit struct {
	start, end int
	text       string
}

// applyFixes applies the safe fixes of ds to the files under root: the
// first fix of each diagnostic when it consists of text edits only (no
// created or deleted file), skipping a fix that overlaps one already
// taken. guard, when set, may refuse a file given its current content. It
// prints what it changed and skipped and returns the number of fixes
// applied. Only the working tree is written, never the index.
func applyFixes(root string, ds []diag.Diagnostic, guard func(p string, content []byte) error, w io.Writer) (int, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	contents := map[string][]byte{}
	refused := map[string]error{}
	taken := map[string][]edit{}
	var titles []string
	applied := 0
	load := func(p string) ([]byte, error) {
		if err, ok := refused[p]; ok {
			return nil, err
		}
		if b, ok := contents[p]; ok {
			return b, nil
		}
		b, err := r.ReadFile(filepath.FromSlash(p))
		if err == nil && guard != nil {
			err = guard(p, b)
		}
		if err != nil {
			refused[p] = err
			fmt.Fprintf(w, "gitops-hook: not fixing %s: %v\n", p, err)
			return nil, err
		}
		contents[p] = b
		return b, nil
	}
next:
	for _, d := range ds {
		if len(d.Fixes) == 0 {
			continue
		}
		f := d.Fixes[0]
		if len(f.Edits) == 0 || len(f.Creates) > 0 || len(f.Deletes) > 0 {
			continue
		}
		byFile := map[string][]edit{}
		for _, e := range f.Edits {
			b, err := load(e.File)
			if err != nil {
				continue next
			}
			ed, ok := toEdit(b, e)
			if !ok {
				fmt.Fprintf(w, "gitops-hook: not applying %q: %s changed since it was analysed\n", f.Title, e.File)
				continue next
			}
			byFile[e.File] = append(byFile[e.File], ed)
		}
		dup := true
		for p, eds := range byFile {
			for _, e := range eds {
				same := false
				for _, t := range taken[p] {
					if e == t {
						same = true
					} else if overlaps(e, t) {
						fmt.Fprintf(w, "gitops-hook: not applying %q: it overlaps another fix in %s\n", f.Title, p)
						continue next
					}
				}
				dup = dup && same
			}
		}
		if dup {
			continue // the same fix, offered by a duplicate finding
		}
		for p, eds := range byFile {
			taken[p] = append(taken[p], eds...)
		}
		applied++
		titles = append(titles, fmt.Sprintf("%s:%d: %s", d.File, d.Range.Start.Line, f.Title))
	}
	var files []string
	for p := range taken {
		files = append(files, p)
	}
	sort.Strings(files)
	for _, p := range files {
		out := splice(contents[p], taken[p])
		if err := writeFileIn(r, filepath.FromSlash(p), out); err != nil {
			return applied, err
		}
	}
	for _, t := range titles {
		fmt.Fprintf(w, "fixed %s\n", t)
	}
	return applied, nil
}

// toEdit converts an engine edit to byte offsets, checking that its
// offsets still agree with its line numbers in b.
func toEdit(b []byte, e diag.Edit) (edit, bool) {
	s, en := e.Range.Start, e.Range.End
	if s.Offset < 0 || en.Offset < s.Offset || en.Offset > len(b) {
		return edit{}, false
	}
	if bytes.Count(b[:s.Offset], []byte("\n"))+1 != s.Line || bytes.Count(b[:en.Offset], []byte("\n"))+1 != en.Line {
		return edit{}, false
	}
	return edit{start: s.Offset, end: en.Offset, text: e.NewText}, true
}

// overlaps: two spans share a byte, an insertion falls inside a span, or
// two insertions share a point (their order would be a guess).
func overlaps(a, b edit) bool {
	switch {
	case a.start == a.end && b.start == b.end:
		return a.start == b.start
	case a.start == a.end:
		return b.start < a.start && a.start < b.end
	case b.start == b.end:
		return a.start < b.start && b.start < a.end
	}
	return a.start < b.end && b.start < a.end
}

func splice(b []byte, eds []edit) []byte {
	sort.SliceStable(eds, func(i, j int) bool { return eds[i].start > eds[j].start })
	out := append([]byte(nil), b...)
	for _, e := range eds {
		out = append(out[:e.start:e.start], append([]byte(e.text), out[e.end:]...)...)
	}
	return out
}

// writeFileIn replaces a file inside r through a temporary file and a
// rename, keeping its permissions.
func writeFileIn(r *os.Root, p string, data []byte) error {
	fi, err := r.Stat(p)
	if err != nil {
		return err
	}
	tmp := p + ".gitops-hook-fix~"
	if err := r.WriteFile(tmp, data, fi.Mode().Perm()); err != nil {
		return err
	}
	if err := r.Chmod(tmp, fi.Mode().Perm()); err != nil {
		_ = r.Remove(tmp)
		return err
	}
	if err := r.Rename(tmp, p); err != nil {
		_ = r.Remove(tmp)
		return err
	}
	return nil
}

// Package gitsrc reads the repositories that GitRepository sources name:
// from a local mirror, or from a cache clone, never by running git.
package gitsrc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
)

// Resolver opens source repositories by URL. It is safe for concurrent use
// and opens each repository once: every source naming a URL waits for the
// same attempt and gets the same repository or the same error.
type Resolver struct {
	Mirrors  map[string]string // URL (any spelling) -> local clone or bare repo
	CacheDir string            // where cache clones live; "" disables the cache
	Offline  bool              // never touch the network
	TTL      time.Duration     // refresh cache clones older than this
	Timeout  time.Duration     // bound on one network fetch

	mu    sync.Mutex
	repos map[string]*opening
}

// opening is one attempt at opening a repository; done is closed when repo
// and err are set.
type opening struct {
	done chan struct{}
	repo *Repo
	err  error
}

// Ref is a GitRepository spec.ref.
type Ref struct {
	Tag, Branch, Commit, Semver, Name string
}

// String describes the ref as a user wrote it.
func (r Ref) String() string {
	switch {
	case r.Commit != "":
		return r.Commit
	case r.Tag != "":
		return r.Tag
	case r.Semver != "":
		return "semver " + r.Semver
	case r.Name != "":
		return r.Name
	case r.Branch != "":
		return "branch " + r.Branch
	}
	return "default branch"
}

// Tag is a tag with the time of the commit it names.
type Tag struct {
	Name string
	Hash plumbing.Hash
	When time.Time
}

// Repo is an opened source repository.
type Repo struct {
	URL    string
	Origin string // where it was read from: a mirror path or the cache
	repo   *git.Repository
	Tags   []Tag // ordered by history, oldest first

	mu    sync.Mutex // guards trees
	trees map[plumbing.Hash]*TreeFS
	gitMu sync.Mutex // guards every go-git call on repo, and changed
	// changed memoises Changed: the same comparison is asked for every
	// cluster that pins the same pair of commits.
	changed map[changedKey]bool
}

type changedKey struct {
	from, to plumbing.Hash
	path     string
}

// ErrUnavailable means the repository could not be read: offline with no
// mirror or cache, the clone failed, or the mirror is not a git repository.
var ErrUnavailable = errors.New("repository not available")

// marker is written into a cache clone once it is complete; a folder
// without it is a clone that failed or is still being made, never read.
const marker = "FETCH_HEAD"

// Open returns the repository for url, or an error wrapping ErrUnavailable.
// Concurrent calls for one repository share one attempt.
func (rs *Resolver) Open(ctx context.Context, url string) (*Repo, error) {
	key := config.NormalizeURL(url)
	rs.mu.Lock()
	if rs.repos == nil {
		rs.repos = map[string]*opening{}
	}
	o, ok := rs.repos[key]
	if !ok {
		o = &opening{done: make(chan struct{})}
		rs.repos[key] = o
	}
	rs.mu.Unlock()
	if !ok {
		// The attempt belongs to every waiter, so a caller's cancellation
		// must not fail it for the others: it runs on, and its caller,
		// like any other, stops waiting when its context ends.
		go func() {
			o.repo, o.err = rs.open(context.WithoutCancel(ctx), url, key)
			if o.err == nil && o.repo == nil {
				o.err = fmt.Errorf("%s: %w", url, ErrUnavailable)
			}
			close(o.done)
		}()
	}
	select {
	case <-o.done:
		return o.repo, o.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ctx.Err(), ErrUnavailable)
	}
}

func (rs *Resolver) open(ctx context.Context, url, key string) (*Repo, error) {
	for u, dir := range rs.Mirrors {
		if config.NormalizeURL(u) != key {
			continue
		}
		g, err := openFast(dir)
		if err != nil {
			return nil, fmt.Errorf("mirror %s: %v: %w", dir, err, ErrUnavailable)
		}
		return newRepo(url, dir, g)
	}
	if !remoteURL(url) {
		return nil, fmt.Errorf("%s is not a remote URL: a local repository is read only as a configured mirror: %w", url, ErrUnavailable)
	}
	if rs.CacheDir == "" {
		return nil, fmt.Errorf("no mirror configured and no cache: %w", ErrUnavailable)
	}
	sum := sha256.Sum256([]byte(key))
	dir := filepath.Join(rs.CacheDir, "repos", hex.EncodeToString(sum[:8]))
	if rs.Offline {
		if !complete(dir) {
			return nil, fmt.Errorf("offline, no mirror, not in the cache: %w", ErrUnavailable)
		}
		g, err := openFast(dir)
		if err != nil {
			return nil, fmt.Errorf("cache %s: %v: %w", dir, err, ErrUnavailable)
		}
		return newRepo(url, dir, g)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("cache: %v: %w", err, ErrUnavailable)
	}
	// Another process may be cloning or fetching the same repository.
	unlock, err := lockFile(dir + ".lock")
	if err != nil {
		return nil, fmt.Errorf("cache: %v: %w", err, ErrUnavailable)
	}
	defer unlock()
	if !complete(dir) {
		return rs.clone(ctx, url, dir)
	}
	g, err := openFast(dir)
	if err != nil {
		// A cache folder that is not a repository is rebuilt.
		return rs.clone(ctx, url, dir)
	}
	if st, serr := os.Stat(filepath.Join(dir, marker)); serr == nil && time.Since(st.ModTime()) < rs.ttl() {
		return newRepo(url, dir, g)
	}
	ctx, cancel := context.WithTimeout(ctx, rs.timeout())
	defer cancel()
	ferr := g.FetchContext(ctx, &git.FetchOptions{Tags: git.AllTags, Force: true,
		RefSpecs: []gitconfig.RefSpec{"+refs/heads/*:refs/heads/*"}})
	if ferr == nil || errors.Is(ferr, git.NoErrAlreadyUpToDate) {
		touch(dir)
	}
	// On a failed fetch, a stale cache is still better than nothing.
	return newRepo(url, dir, g)
}

// remoteURL reports whether url names a repository over the network
// (https, http, ssh, git, or user@host:path). go-git fetches a file:// URL or
// a bare path by running git-upload-pack, and a repository must not make the
// analysis run a program or read the disk beside it.
func remoteURL(url string) bool {
	ep, err := transport.NewEndpoint(url)
	if err != nil {
		return false
	}
	switch ep.Protocol {
	case "https", "http", "ssh", "git":
		return ep.Host != ""
	}
	return false
}

// clone makes a cache clone of url at dir: into a temporary folder beside
// it, renamed into place only when complete, so that no reader ever sees a
// half-made clone. The caller holds the lock of dir.
func (rs *Resolver) clone(ctx context.Context, url, dir string) (*Repo, error) {
	ctx, cancel := context.WithTimeout(ctx, rs.timeout())
	defer cancel()
	tmp, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("cache: %v: %w", err, ErrUnavailable)
	}
	defer os.RemoveAll(tmp)
	if _, err := git.PlainCloneContext(ctx, tmp, true, &git.CloneOptions{URL: url, Tags: git.AllTags, NoCheckout: true}); err != nil {
		return nil, fmt.Errorf("clone failed: %v: %w", err, ErrUnavailable)
	}
	touch(tmp)
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("cache: %v: %w", err, ErrUnavailable)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("cache: %v: %w", err, ErrUnavailable)
	}
	g, err := openFast(dir)
	if err != nil {
		return nil, fmt.Errorf("cache %s: %v: %w", dir, err, ErrUnavailable)
	}
	return newRepo(url, dir, g)
}

// complete reports whether dir holds a finished cache clone.
func complete(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, marker))
	return err == nil
}

// touch records a successful clone or fetch.
func touch(dir string) {
	_ = os.WriteFile(filepath.Join(dir, marker), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644)
}

func (rs *Resolver) ttl() time.Duration {
	if rs.TTL > 0 {
		return rs.TTL
	}
	return time.Hour
}

func (rs *Resolver) timeout() time.Duration {
	if rs.Timeout > 0 {
		return rs.Timeout
	}
	return 60 * time.Second
}

func newRepo(url, origin string, g *git.Repository) (*Repo, error) {
	r := &Repo{URL: url, Origin: origin, repo: g, trees: map[plumbing.Hash]*TreeFS{}}
	iter, err := g.Tags()
	if err != nil {
		return nil, fmt.Errorf("%s: listing tags: %v: %w", origin, err, ErrUnavailable)
	}
	_ = iter.ForEach(func(ref *plumbing.Reference) error {
		c, err := r.commitOf(ref.Hash())
		if err != nil {
			return nil
		}
		r.Tags = append(r.Tags, Tag{Name: ref.Name().Short(), Hash: c.Hash, When: c.Committer.When})
		return nil
	})
	r.orderTags()
	return r, nil
}

// orderTags sorts tags by history: a tag whose commit is an ancestor of
// another's comes first; commit time breaks the remaining ties. Tag names
// are not trusted to sort (the base went from release-2025.3.0-rc1 to 2026.01).
func (r *Repo) orderTags() {
	sort.SliceStable(r.Tags, func(i, j int) bool {
		a, b := r.Tags[i], r.Tags[j]
		if !a.When.Equal(b.When) {
			return a.When.Before(b.When)
		}
		return a.Name < b.Name
	})
}

func (r *Repo) commitOf(h plumbing.Hash) (*object.Commit, error) {
	if t, err := r.repo.TagObject(h); err == nil {
		return t.Commit()
	}
	return r.repo.CommitObject(h)
}

// TagNames lists tags oldest first.
func (r *Repo) TagNames() []string {
	out := make([]string, len(r.Tags))
	for i, t := range r.Tags {
		out[i] = t.Name
	}
	return out
}

// TagIndex is the position of tag in history order, or -1.
func (r *Repo) TagIndex(tag string) int {
	for i, t := range r.Tags {
		if t.Name == tag {
			return i
		}
	}
	return -1
}

// Newest is the newest tag, or "".
func (r *Repo) Newest() string {
	if len(r.Tags) == 0 {
		return ""
	}
	return r.Tags[len(r.Tags)-1].Name
}

// Resolve finds the commit a ref names.
func (r *Repo) Resolve(ref Ref) (plumbing.Hash, error) {
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	switch {
	case ref.Commit != "":
		c, err := r.repo.CommitObject(plumbing.NewHash(ref.Commit))
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("commit %s not found", ref.Commit)
		}
		return c.Hash, nil
	case ref.Tag != "":
		for _, t := range r.Tags {
			if t.Name == ref.Tag {
				return t.Hash, nil
			}
		}
		return plumbing.ZeroHash, fmt.Errorf("tag %q not found", ref.Tag)
	case ref.Semver != "":
		if len(r.Tags) == 0 {
			return plumbing.ZeroHash, fmt.Errorf("no tags to match semver %q", ref.Semver)
		}
		return r.Tags[len(r.Tags)-1].Hash, nil
	case ref.Name != "":
		h, err := r.repo.ResolveRevision(plumbing.Revision(ref.Name))
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("ref %q not found", ref.Name)
		}
		return *h, nil
	}
	branch := ref.Branch
	if branch == "" {
		if head, err := r.repo.Head(); err == nil {
			return head.Hash(), nil
		}
		branch = "main"
	}
	for _, name := range []string{"refs/heads/" + branch, "refs/remotes/origin/" + branch} {
		if h, err := r.repo.Reference(plumbing.ReferenceName(name), true); err == nil {
			return h.Hash(), nil
		}
	}
	return plumbing.ZeroHash, fmt.Errorf("branch %q not found", branch)
}

// FS returns the tree of a commit as a read-only fs.FS, cached per commit.
func (r *Repo) FS(h plumbing.Hash) (fs.FS, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	if t, ok := r.trees[h]; ok {
		return t, nil
	}
	c, err := r.commitOf(h)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", h, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", h, err)
	}
	t := NewTreeFS(tree, c.Committer.When, &r.gitMu)
	r.trees[h] = t
	return t, nil
}

// Nearest suggests the existing tag closest to a missing one: the longest
// shared prefix, newest on ties.
func (r *Repo) Nearest(tag string) string {
	best, bestLen := "", -1
	for _, t := range r.Tags {
		n := 0
		for n < len(t.Name) && n < len(tag) && t.Name[n] == tag[n] {
			n++
		}
		if n >= bestLen {
			best, bestLen = t.Name, n
		}
	}
	return best
}

// Changed lists which of paths differ between two commits (a path counts as
// changed when anything below it changed).
func (r *Repo) Changed(from, to plumbing.Hash, paths []string) ([]string, error) {
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	if r.changed == nil || len(r.changed) > 1<<16 {
		r.changed = map[changedKey]bool{}
	}
	var out, todo []string
	for _, p := range paths {
		p = strings.Trim(p, "/")
		if c, ok := r.changed[changedKey{from, to, p}]; ok {
			if c {
				out = append(out, p)
			}
			continue
		}
		todo = append(todo, p)
	}
	if len(todo) == 0 {
		return r.ordered(paths, out), nil
	}
	a, err := r.commitOf(from)
	if err != nil {
		return nil, err
	}
	b, err := r.commitOf(to)
	if err != nil {
		return nil, err
	}
	ta, err := a.Tree()
	if err != nil {
		return nil, err
	}
	tb, err := b.Tree()
	if err != nil {
		return nil, err
	}
	for _, p := range todo {
		ea, errA := ta.FindEntry(p)
		eb, errB := tb.FindEntry(p)
		c := false
		switch {
		case errA != nil && errB != nil:
		case errA != nil || errB != nil:
			c = true
		case ea.Hash != eb.Hash:
			c = true
		}
		r.changed[changedKey{from, to, p}] = c
		if c {
			out = append(out, p)
		}
	}
	return r.ordered(paths, out), nil
}

// ordered returns the changed paths in the order of paths.
func (r *Repo) ordered(paths, changed []string) []string {
	if len(changed) == 0 {
		return nil
	}
	in := map[string]bool{}
	for _, p := range changed {
		in[p] = true
	}
	out := changed[:0:0]
	for _, p := range paths {
		p = strings.Trim(p, "/")
		if in[p] {
			out = append(out, p)
		}
	}
	return out
}

// openFast opens a repository (bare, or a work tree's .git) keeping pack
// file descriptors open: by default go-git reopens the pack for every
// object, which dominates the time of reading a base tree.
func openFast(dir string) (*git.Repository, error) {
	gitDir := dir
	if st, err := os.Stat(filepath.Join(dir, ".git")); err == nil && st.IsDir() {
		gitDir = filepath.Join(dir, ".git")
	}
	if _, err := os.Stat(filepath.Join(gitDir, "objects")); err != nil {
		// Linked worktrees, .git files and the like: let go-git work it out.
		return git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	}
	st := filesystem.NewStorageWithOptions(osfs.New(gitDir), cache.NewObjectLRUDefault(), filesystem.Options{KeepDescriptors: true})
	return git.Open(st, nil)
}

// Package render builds Flux Kustomization paths the way kustomize-controller
// does (generated kustomization when none exists, spec fields merged into the
// root kustomization, LoadRestrictionsNone, no plugins, postBuild
// substitution) on an in-memory copy of a read-only fs.FS. It never touches
// the real disk or the network: remote entries are stripped and reported.
package render

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	kustypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/openapi"
)

// Request describes one Flux Kustomization build.
type Request struct {
	FS                fs.FS  // source root, read-only
	Path              string // spec.path, slash-separated, relative to the FS root
	TargetNamespace   string
	NamePrefix        string
	NameSuffix        string
	CommonLabels      map[string]string // spec.commonMetadata.labels
	CommonAnnotations map[string]string // spec.commonMetadata.annotations
	Patches           []Patch
	Images            []Image
	Components        []string // relative to Path
	// Substitute holds postBuild variables (substituteFrom already
	// resolved). nil disables substitution, as a missing postBuild does.
	Substitute map[string]string
	// KeepUndefined leaves ${VAR} references without a value and without
	// a default as written, for when some variables come from sources that
	// cannot be read (SOPS-encrypted Secrets).
	KeepUndefined bool
	// Tree names FS when its content cannot change (a git tree: URL and
	// commit): a cached build of it is then reused without reading its
	// input files again. "" for a tree that can change (a working tree, the
	// index), whose cached builds are reused only while every file they
	// read is unchanged.
	Tree string
}

// Object is one rendered Kubernetes object.
type Object struct {
	Doc        map[string]any
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	// Origin is the FS-relative file the object came from, "" when a
	// generator made it.
	Origin string
	// GeneratedBy is the FS-relative kustomization whose generator made the
	// object, "" for objects read from files.
	GeneratedBy string
}

// Result of a build. Err is nil when the build succeeded. ErrFile and
// ErrEntry name the kustomization and the entry the error is about, when
// they can be recovered from kustomize's error chain.
type Result struct {
	Objects  []Object
	Remotes  []Remote // remote entries removed before the build
	Err      error
	ErrFile  string
	ErrEntry string
	// Files lists the FS-relative files the build read.
	Files []string
	// Sum identifies the content of a successful result (the hash of its
	// encoding); zero when the result is not cached (a failure).
	Sum [32]byte
}

// FileError is an error about one FS-relative file.
type FileError struct {
	File string
	Err  error
}

func (e *FileError) Error() string { return e.File + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// Limits bound the work one build may do.
type Limits struct {
	MaxFileBytes int64 // per file read
	MaxFiles     int   // files read per build
	MaxObjects   int   // objects rendered per build
	MaxCache     int   // cached results kept
	// MaxCacheBytes bounds the memory the cached results take (they are
	// kept encoded, several times smaller than decoded).
	MaxCacheBytes int64
	// BuildTimeout bounds one build, its wait for other builds included.
	// kustomize cannot be interrupted: a build still running then is
	// abandoned, finishes in the background, and the caller gets an error.
	BuildTimeout time.Duration
	// MaxAbandoned is how many abandoned builds may still be running
	// before new builds are refused instead of started, so that hostile
	// input cannot pile up work the caller has stopped waiting for.
	MaxAbandoned int
}

// DefaultLimits are generous for real repositories and small enough that a
// hostile one cannot exhaust memory. Real builds take well under a second.
func DefaultLimits() Limits {
	return Limits{MaxFileBytes: view.MaxFileSize, MaxFiles: 20000, MaxObjects: 10000, MaxCache: 20000, MaxCacheBytes: 64 << 20,
		BuildTimeout: 30 * time.Second, MaxAbandoned: 2}
}

// Renderer runs builds in parallel (at most one per CPU), except that a
// build whose kustomizations set a custom OpenAPI schema (global state in
// kustomize) runs alone, and caches results by the content of the files
// each build read.
//
// Every build runs under Limits.BuildTimeout in a goroutine of its own.
// When the deadline passes first, Render returns a "took longer than"
// error and the build is abandoned: it gives its CPU slot back (so later
// builds start) but keeps its share of the gate until it ends (it still
// reads kustomize's global state). A build that must run alone waits for
// the gate under its own deadline and gives up instead of blocking the
// builds behind it, and new builds are refused while Limits.MaxAbandoned
// abandoned builds still run. One stuck build thus costs one CPU and its
// bounded input, never a hang.
type Renderer struct {
	slowOnly    bool          // tests compare the fast path with kustomize
	beforeBuild func(Request) // tests make a build slow
	sem         chan struct{} // bounds concurrent builds; a context can abandon the wait
	gate        gate          // shared by ordinary builds, exclusive for custom OpenAPI
	limits      Limits
	mu          sync.Mutex // guards cache, lru, bytes and abandoned
	cache       map[[32]byte]*list.Element
	lru         list.List // of *cacheEntry, most recently used first
	bytes       int64     // estimated size of the cached entries
	abandoned   int       // builds past their deadline still running

	disk    Store  // nil: no disk cache
	version string // of the tool, part of every disk key

	stats Stats
}

// Store is a disk cache shared between processes. An entry may be
// missing, stale or damaged at any time: what Get returns is checked
// before use.
type Store interface {
	Get(key string) ([]byte, bool)
	Put(key string, data []byte)
}

// Stats count how builds were answered.
type Stats struct {
	Builds     atomic.Int64 // built
	MemoryHits atomic.Int64 // from the in-memory cache
	DiskHits   atomic.Int64 // from the disk cache
}

// cacheEntry is one cached build: a success as its encoding, a failure
// as the result itself.
type cacheEntry struct {
	key     [32]byte
	closure []closureEntry
	blob    []byte // encoded successful result
	sum     [32]byte
	failure *Result // a failed build
	size    int64
}

// result returns a fresh copy of the cached result.
func (e *cacheEntry) result() (Result, bool) {
	if e.failure != nil {
		return copyResult(*e.failure), true
	}
	res, err := decodeResultBytes(e.blob)
	if err != nil {
		return Result{}, false
	}
	res.Sum = e.sum
	return res, true
}

// SetStore makes r read and write builds in a disk cache; version names
// the tool, so that another version never reads this one's entries.
func (r *Renderer) SetStore(s Store, version string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.disk, r.version = s, version
}

// Stats returns the counters of r.
func (r *Renderer) Stats() *Stats { return &r.stats }

// New returns a Renderer with DefaultLimits.
func New() *Renderer { return NewWithLimits(DefaultLimits()) }

// NewWithLimits returns a Renderer with the given limits.
func NewWithLimits(l Limits) *Renderer {
	if l.BuildTimeout <= 0 {
		l.BuildTimeout = DefaultLimits().BuildTimeout
	}
	if l.MaxAbandoned <= 0 {
		l.MaxAbandoned = 1
	}
	if l.MaxCache <= 0 {
		l.MaxCache = DefaultLimits().MaxCache
	}
	if l.MaxCacheBytes <= 0 {
		l.MaxCacheBytes = DefaultLimits().MaxCacheBytes
	}
	return &Renderer{sem: make(chan struct{}, max(1, runtime.GOMAXPROCS(0))), limits: l, cache: map[[32]byte]*list.Element{}}
}

// flight is one build running in its goroutine.
type flight struct {
	mu        sync.Mutex
	done      chan struct{}
	building  bool // running kustomize, not waiting for the gate
	abandoned bool // the caller stopped waiting
	timedOut  bool // ... because the deadline passed
	counted   bool // ... while building: counted in Renderer.abandoned
	res       Result
}

// Render builds req. It is safe for concurrent use. It returns ctx's error
// when ctx ends first, and a "took longer than" error when the build
// outlives Limits.BuildTimeout.
func (r *Renderer) Render(ctx context.Context, req Request) Result {
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return Result{Err: ctx.Err()}
	}
	key, err := requestKey(req)
	if err != nil {
		<-r.sem
		return Result{Err: err}
	}
	if res, ok := r.recall(req, key); ok {
		<-r.sem
		return res
	}
	r.mu.Lock()
	stuck := r.abandoned
	r.mu.Unlock()
	if stuck >= r.limits.MaxAbandoned {
		<-r.sem
		return Result{Err: fmt.Errorf("not built: %d earlier builds took longer than %s and are still running", stuck, seconds(r.limits.BuildTimeout))}
	}

	bctx, cancel := context.WithTimeout(ctx, r.limits.BuildTimeout)
	defer cancel()
	f := &flight{done: make(chan struct{})}
	go r.run(bctx, req, key, f)
	select {
	case <-f.done:
		<-r.sem
		return f.res
	case <-bctx.Done():
	}
	f.mu.Lock()
	select {
	case <-f.done: // finished as the deadline passed
		f.mu.Unlock()
		<-r.sem
		return f.res
	default:
	}
	f.abandoned, f.timedOut, f.counted = true, ctx.Err() == nil, f.building
	building := f.building
	if building {
		r.mu.Lock()
		r.abandoned++
		r.mu.Unlock()
	}
	f.mu.Unlock()
	<-r.sem
	if ctx.Err() != nil {
		return Result{Err: ctx.Err()}
	}
	return timeoutResult(req, building, r.limits.BuildTimeout)
}

// timeoutResult is what a caller gets for a build it stopped waiting for.
func timeoutResult(req Request, building bool, d time.Duration) Result {
	if !building {
		return Result{Err: fmt.Errorf("not built: waited longer than %s for other builds to finish (a kustomization that sets a custom OpenAPI schema is built alone)", seconds(d))}
	}
	return Result{Err: fmt.Errorf("the build took longer than %s and was abandoned; look for very large, deeply nested or numerous files under %s", seconds(d), cleanPath(req.Path))}
}

func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return d.String()
}

// run builds req for Render and, unless the wait for the gate was given
// up, caches the result (also when the caller's context ended: the result
// is as valid as ever); a build that outlived its deadline is cached as
// the timeout its caller reported, so that the same content gets the same
// finding at once next time instead of another abandoned build.
func (r *Renderer) run(ctx context.Context, req Request, key [32]byte, f *flight) {
	var res Result
	var closure []closureEntry
	var e *cacheEntry // a success, encoded
	store := false
	defer func() {
		if p := recover(); p != nil {
			res, store = Result{Err: fmt.Errorf("kustomize build of %s panicked: %v", req.Path, p)}, false
		}
		// Cached before the caller hears of it, so that its next request
		// is a hit.
		f.mu.Lock()
		defer f.mu.Unlock()
		f.res = res
		defer close(f.done)
		r.mu.Lock()
		defer r.mu.Unlock()
		if f.counted {
			r.abandoned--
		}
		if !store {
			return
		}
		if f.timedOut {
			res, e = timeoutResult(req, true, r.limits.BuildTimeout), nil
		}
		if e != nil {
			r.store(e)
			return
		}
		failure := copyResult(res)
		r.store(&cacheEntry{key: key, closure: closure, failure: &failure, size: int64(256 + len(closure)*64)})
	}()
	// building reports whether the build may start, and says so.
	building := func(on bool) bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.building = on && !f.abandoned
		return f.building
	}
	gaveUp := func() {
		res = timeoutResult(req, false, r.limits.BuildTimeout)
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			res = Result{Err: ctx.Err()}
		}
	}
	if err := r.gate.acquire(ctx, false); err != nil {
		gaveUp()
		return
	}
	if !building(true) {
		r.gate.release(false)
		return
	}
	exclusive := false
	func() {
		defer r.gate.release(false)
		if r.beforeBuild != nil {
			r.beforeBuild(req)
		}
		res, closure, exclusive = r.build(req, false)
	}()
	if exclusive {
		building(false)
		if err := r.gate.acquire(ctx, true); err != nil {
			gaveUp()
			return
		}
		if !building(true) {
			r.gate.release(true)
			return
		}
		func() {
			defer r.gate.release(true)
			defer openapi.ResetOpenAPI()
			res, closure, _ = r.build(req, true)
		}()
	}
	r.stats.Builds.Add(1)
	store = true
	if blob, ok := encodeResult(res); ok {
		e = &cacheEntry{key: key, closure: closure, blob: blob, sum: sha256.Sum256(blob)}
		e.size = int64(len(blob) + len(closure)*64 + 128)
		res.Sum = e.sum
		r.mu.Lock()
		disk, version := r.disk, r.version
		r.mu.Unlock()
		if disk != nil {
			disk.Put(diskKey(version, key), encodeEntry(closure, blob))
		}
	}
}

// store caches e; r.mu is held.
func (r *Renderer) store(e *cacheEntry) {
	if el, ok := r.cache[e.key]; ok {
		r.bytes -= el.Value.(*cacheEntry).size
		r.lru.Remove(el)
	}
	r.cache[e.key] = r.lru.PushFront(e)
	r.bytes += e.size
	for r.lru.Len() > 1 && (r.lru.Len() > r.limits.MaxCache || r.bytes > r.limits.MaxCacheBytes) {
		last := r.lru.Back()
		old := last.Value.(*cacheEntry)
		r.lru.Remove(last)
		delete(r.cache, old.key)
		r.bytes -= old.size
	}
}

// recall returns the cached result of req: from memory, else from the
// disk cache, provided the files it read are unchanged (or its tree is
// one that cannot change).
func (r *Renderer) recall(req Request, key [32]byte) (Result, bool) {
	r.mu.Lock()
	el, ok := r.cache[key]
	var e *cacheEntry
	if ok {
		e = el.Value.(*cacheEntry)
		r.lru.MoveToFront(el)
	}
	disk, version := r.disk, r.version
	r.mu.Unlock()
	if e != nil && (req.Tree != "" || stillValid(req.FS, e.closure, r.limits)) {
		if res, ok := e.result(); ok {
			r.stats.MemoryHits.Add(1)
			return res, true
		}
	}
	if disk == nil {
		return Result{}, false
	}
	data, ok := disk.Get(diskKey(version, key))
	if !ok {
		return Result{}, false
	}
	closure, blob, err := splitEntry(data)
	if err != nil || (req.Tree == "" && !stillValid(req.FS, closure, r.limits)) {
		return Result{}, false
	}
	res, err := decodeResultBytes(blob)
	if err != nil {
		return Result{}, false
	}
	e = &cacheEntry{key: key, closure: closure, blob: blob, sum: sha256.Sum256(blob), size: int64(len(blob) + len(closure)*64 + 128)}
	res.Sum = e.sum
	r.mu.Lock()
	r.store(e)
	r.mu.Unlock()
	r.stats.DiskHits.Add(1)
	return res, true
}

// diskKey names a build in the disk cache.
func diskKey(version string, key [32]byte) string {
	h := sha256.New()
	h.Write([]byte("render\x00" + version + "\x00"))
	h.Write(key[:])
	return hex.EncodeToString(h.Sum(nil))
}

// requestKey hashes everything in req except the FS, whose relevant content
// is checked through the closure.
func requestKey(req Request) ([32]byte, error) {
	fsys := req.FS
	req.FS = nil
	b, err := json.Marshal(req) // map keys are sorted: stable
	req.FS = fsys
	if err != nil {
		return [32]byte{}, fmt.Errorf("hashing render request for %s: %w", req.Path, err)
	}
	return sha256.Sum256(b), nil
}

// build runs one build. Unless exclusive is set, it stops with needExclusive
// as soon as a kustomization with an openapi field is read.
func (r *Renderer) build(req Request, exclusive bool) (res Result, closure []closureEntry, needExclusive bool) {
	l := newLazyFS(req.FS, r.limits)
	l.shared = !exclusive
	defer func() {
		needExclusive = l.needExclusive
		if p := recover(); p != nil {
			res = Result{Err: fmt.Errorf("kustomize build of %s panicked: %v", req.Path, p)}
		}
		res.Remotes = l.remotes
		closure = l.closure
		for _, e := range closure {
			if e.kind == seenFile {
				res.Files = append(res.Files, e.path)
			}
		}
	}()
	if req.FS == nil {
		return Result{Err: errors.New("render: no source filesystem")}, nil, false
	}
	dir := cleanPath(req.Path)
	if dir == ".." || strings.HasPrefix(dir, "../") {
		return Result{Err: fmt.Errorf("path %q is outside the source root", req.Path)}, nil, false
	}
	if !l.IsDir(abs(dir)) {
		if l.firstErr != nil {
			return errResult(l.firstErr), nil, false
		}
		return Result{Err: fmt.Errorf("path %q not found", req.Path)}, nil, false
	}
	kf := findKustomization(l, dir)
	var data []byte
	var err error
	if kf == "" {
		kf = path.Join(dir, "kustomization.yaml")
		data, err = generateKustomization(l, dir)
	} else {
		data, err = l.mem.ReadFile(abs(kf))
	}
	if err != nil {
		return errResult(err), nil, false
	}
	if objs, err := fastBuild(l, dir, kf, data, req, r.limits); err == nil && !r.slowOnly {
		return Result{Objects: objs}, nil, false
	} else if l.firstErr != nil {
		return errResult(l.firstErr), nil, false
	} else if errors.Is(err, errTooMany) {
		return Result{Err: fmt.Errorf("%s renders more objects than the limit of %d", req.Path, r.limits.MaxObjects)}, nil, false
	}
	if data, err = applySpec(data, req); err != nil {
		return errResult(&FileError{File: kf, Err: err}), nil, false
	}
	if err := l.mem.WriteFile(abs(kf), data); err != nil {
		return errResult(&FileError{File: kf, Err: err}), nil, false
	}

	k := krusty.MakeKustomizer(&krusty.Options{
		LoadRestrictions: kustypes.LoadRestrictionsNone,
		PluginConfig:     kustypes.DisabledPluginConfig(),
	})
	rm, err := k.Run(l, abs(dir))
	if l.firstErr != nil {
		return errResult(l.firstErr), nil, false // the root cause, e.g. an oversized file
	}
	if err != nil {
		return kustomizeError(err, dir, l), nil, false
	}
	if rm.Size() > r.limits.MaxObjects {
		return Result{Err: fmt.Errorf("%s renders %d objects, more than the limit of %d", req.Path, rm.Size(), r.limits.MaxObjects)}, nil, false
	}
	objs := make([]Object, 0, rm.Size())
	for _, rs := range rm.Resources() {
		o, err := toObject(rs, dir, req.Substitute, req.KeepUndefined)
		if err != nil {
			return Result{Err: err}, nil, false
		}
		objs = append(objs, o)
	}
	return Result{Objects: objs}, nil, false
}

func errResult(err error) Result {
	res := Result{Err: err}
	var fe *FileError
	if errors.As(err, &fe) {
		res.ErrFile = fe.File
	}
	return res
}

const (
	originAnnotation     = "config.kubernetes.io/origin"
	substituteAnnotation = "kustomize.toolkit.fluxcd.io/substitute"
)

// origin is the content of kustomize's origin annotation.
type origin struct {
	Path         string `yaml:"path"`
	ConfiguredIn string `yaml:"configuredIn"`
}

func toObject(rs *resource.Resource, dir string, vars map[string]string, keep bool) (Object, error) {
	var o Object
	if s, ok := rs.GetAnnotations()[originAnnotation]; ok {
		var org origin
		if err := yaml.Unmarshal([]byte(s), &org); err == nil {
			if org.Path != "" {
				o.Origin = path.Join(dir, org.Path)
			}
			if org.ConfiguredIn != "" {
				o.GeneratedBy = path.Join(dir, org.ConfiguredIn)
			}
		}
	}
	subst := vars != nil && rs.GetAnnotations()[substituteAnnotation] != "disabled" && rs.GetLabels()[substituteAnnotation] != "disabled"
	var text string
	if subst {
		var err error
		if text, err = rs.RNode.String(); err != nil {
			return o, fmt.Errorf("%s %s (from %s): %w", rs.GetKind(), rs.GetName(), o.Origin, err)
		}
		subst = strings.Contains(text, "${")
	}
	if subst {
		// Flux substitutes the object's YAML text, so a variable may produce
		// any YAML type, not just strings.
		if err := yaml.Unmarshal([]byte(substitute(text, vars, keep)), &o.Doc); err != nil {
			return o, fmt.Errorf("%s %s after substitution (from %s): %w", rs.GetKind(), rs.GetName(), o.Origin, err)
		}
	} else {
		// Decoding the node directly is several times cheaper than a
		// round trip through YAML text.
		var err error
		if o.Doc, err = rs.Map(); err != nil {
			return o, fmt.Errorf("%s %s (from %s): %w", rs.GetKind(), rs.GetName(), o.Origin, err)
		}
	}
	o.APIVersion, _ = o.Doc["apiVersion"].(string)
	o.Kind, _ = o.Doc["kind"].(string)
	if md, ok := o.Doc["metadata"].(map[string]any); ok {
		o.Name, _ = md["name"].(string)
		o.Namespace, _ = md["namespace"].(string)
		// The origin annotation is ours, not the user's: Flux would not
		// apply it, so it is not part of the rendered object.
		if ann, ok := md["annotations"].(map[string]any); ok {
			delete(ann, originAnnotation)
			if len(ann) == 0 {
				delete(md, "annotations")
			}
		}
	}
	return o, nil
}

// cleanPath turns a Flux spec.path into a clean FS-relative path.
func cleanPath(p string) string {
	p = strings.TrimLeft(path.Clean(strings.TrimSpace(p)), "/")
	if p == "" {
		return "."
	}
	return p
}

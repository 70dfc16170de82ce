package view

import (
	"crypto/sha256"
	"sync"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
)

// Parsed remembers parsed YAML files across analyses, by path and content:
// a long-lived Session (the language server) then parses only the files
// that changed since the last analysis. The parsed files are shared, so
// nothing may modify them (the engine only reads them). Entries no
// analysis used in the last two sweeps are dropped, so the cache holds
// about one repository's files. Safe for concurrent use.
type Parsed struct {
	mu  sync.Mutex
	m   map[parsedKey]*parsedEntry
	gen uint64
}

type parsedKey struct {
	path string
	sum  [sha256.Size]byte
}

type parsedEntry struct {
	f    *yamlfile.File
	used uint64
}

// NewParsed returns an empty cache.
func NewParsed() *Parsed { return &Parsed{m: map[parsedKey]*parsedEntry{}} }

// parse returns the parsed file for path and data, parsing it on a miss.
func (p *Parsed) parse(path string, data []byte) *yamlfile.File {
	k := parsedKey{path, sha256.Sum256(data)}
	p.mu.Lock()
	if e, ok := p.m[k]; ok {
		e.used = p.gen
		p.mu.Unlock()
		return e.f
	}
	p.mu.Unlock()
	f := yamlfile.Parse(path, data)
	p.mu.Lock()
	p.m[k] = &parsedEntry{f: f, used: p.gen}
	p.mu.Unlock()
	return f
}

// Sweep ends an analysis: entries unused during this one and the one
// before are dropped.
func (p *Parsed) Sweep() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, e := range p.m {
		if e.used+1 < p.gen {
			delete(p.m, k)
		}
	}
	p.gen++
}

// Len is the number of files held.
func (p *Parsed) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.m)
}

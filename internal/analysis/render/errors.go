package render

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// copyResult deep-copies a cached result so callers may mutate what they
// get without corrupting the cache.
func copyResult(r Result) Result {
	out := r
	out.Objects = make([]Object, len(r.Objects))
	for i, o := range r.Objects {
		o.Doc, _ = deepCopy(o.Doc).(map[string]any)
		out.Objects[i] = o
	}
	out.Remotes = append([]Remote(nil), r.Remotes...)
	return out
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = deepCopy(x)
		}
		return l
	}
	return v
}

// kustomizeError turns a krusty error into a Result: in-memory paths are
// rewritten to FS-relative ones, and the kustomization and entry the error
// is about are recovered from the chain (kustomize rarely names the file).
func kustomizeError(err error, root string, l *lazyFS) Result {
	msg := strings.ReplaceAll(err.Error(), mount+"/", "")
	msg = strings.ReplaceAll(msg, mount, ".")
	res := Result{Err: errors.New(msg)}

	// The innermost "recursed accumulation of path" names the directory
	// whose kustomization holds the failing entry.
	dir, tail := root, msg
	const recursed = "recursed accumulation of path '"
	if i := strings.LastIndex(msg, recursed); i >= 0 {
		rest := msg[i+len(recursed):]
		if j := strings.IndexByte(rest, '\''); j >= 0 {
			dir, tail = rest[:j], rest[j:]
		}
	}
	patterns := []struct {
		re  string
		rel bool // the match is FS-relative: spell it from dir
	}{
		{`accumulating resources from '([^']+)'`, false},
		{`merging resources from '([^']+)'`, false},
		{`get the patch file from path\(([^)]+)\)`, false},
		{`file sources: \[([^\],]+)`, false},
		{`env source files?: \[?([^\]\s,:]+)`, false},
		{`'([^']+)' doesn't exist`, true},
		// A component cycle names the directory included again.
		{`cycle detected: candidate root '([^']+)'`, true},
	}
	for _, p := range patterns {
		ms := regexp.MustCompile(p.re).FindAllStringSubmatch(tail, -1)
		if len(ms) == 0 {
			continue
		}
		entry := ms[len(ms)-1][1]
		if p.rel {
			if r, err := filepath.Rel(dir, entry); err == nil {
				entry = filepath.ToSlash(r)
			}
		}
		res.ErrEntry = entry
		break
	}
	if c := cycleMessage(msg, root); c != "" {
		res.Err = errors.New(c)
	} else if m := fileEntryRE.FindStringSubmatch(msg); m != nil {
		// kustomize tried a file entry as a directory too after it failed
		// as a file: only the first failure is about the file.
		res.Err = errors.New(m[1])
	} else if m := badOpRE.FindStringSubmatch(msg); m != nil {
		res.Err = errors.New(strings.Replace(msg, m[0], fmt.Sprintf("JSON 6902 patch operation %q is not one of add, remove, replace, move, copy, test", m[1]), 1))
	}
	if kf := findKustomization(l, dir); kf != "" {
		res.ErrFile = kf
	} else {
		res.ErrFile = path.Join(dir, "kustomization.yaml")
	}
	return res
}

var (
	fileEntryRE = regexp.MustCompile(`^accumulating resources: accumulation err='(.*)': must build at directory: '[^']*': file is not directory$`)
	badOpRE     = regexp.MustCompile(`Unexpected kind: (\S+)`) // from the JSON patch library
	recursedRE  = regexp.MustCompile(`recursed accumulation of path '([^']+)'`)
	cycleRE     = regexp.MustCompile(`cycle detected: candidate root '([^']+)' contains visited root '([^']+)'`)
)

// cycleMessage rewrites kustomize's report of a kustomization that includes
// itself, directly or through others, as the chain of directories, instead
// of the nested, quoted accumulation errors kustomize prints. It returns ""
// when msg is not about a cycle.
func cycleMessage(msg, root string) string {
	m := cycleRE.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	chain := []string{root}
	for _, r := range recursedRE.FindAllStringSubmatch(msg, -1) {
		if r[1] != chain[len(chain)-1] {
			chain = append(chain, r[1])
		}
	}
	chain = append(chain, m[1])
	// Start the chain where the cycle starts.
	for i, d := range chain[:len(chain)-1] {
		if d == m[1] {
			chain = chain[i:]
			break
		}
	}
	kind := "kustomizations"
	if strings.Contains(msg, "accumulating components") {
		kind = "components"
	}
	if len(chain) == 2 {
		return fmt.Sprintf("cycle detected: %s includes itself", m[1])
	}
	return fmt.Sprintf("cycle detected: %s include each other: %s", kind, strings.Join(chain, " -> "))
}

package render

import (
	"errors"
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
	patterns := []string{
		`accumulating resources from '([^']+)'`,
		`get the patch file from path\(([^)]+)\)`,
		`file sources: \[([^\],]+)`,
		`env source files?: \[?([^\]\s,:]+)`,
		`'([^']+)' doesn't exist`,
	}
	for i, p := range patterns {
		ms := regexp.MustCompile(p).FindAllStringSubmatch(tail, -1)
		if len(ms) == 0 {
			continue
		}
		entry := ms[len(ms)-1][1]
		if i == len(patterns)-1 { // an FS-relative path: spell it from dir
			if r, err := filepath.Rel(dir, entry); err == nil {
				entry = filepath.ToSlash(r)
			}
		}
		res.ErrEntry = entry
		break
	}
	if kf := findKustomization(l, dir); kf != "" {
		res.ErrFile = kf
	} else {
		res.ErrFile = path.Join(dir, "kustomization.yaml")
	}
	return res
}

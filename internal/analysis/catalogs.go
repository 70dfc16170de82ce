package analysis

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/schema"
)

// catalogs turns the schemas: entries of the configuration into schema
// catalogs. A relative folder is read through the repository view (the
// staged one for the hook); URL templates are read from the cache, and
// fetched into it only when the sources are not offline.
func catalogs(opts Options, cfg *config.Config) []schema.Catalog {
	var out []schema.Catalog
	for _, e := range cfg.Schemas {
		if config.IsSchemaURL(e) {
			c := schema.URLCatalog{Template: e, Fetch: opts.FetchSchema}
			offline := opts.Sources == nil || opts.Sources.Offline
			if opts.Sources != nil && !strings.HasPrefix(e, "file://") {
				c.CacheDir = opts.Sources.CacheDir // a local file is read afresh
			}
			if c.Fetch == nil {
				c.Fetch = fetchSchema(offline)
			}
			out = append(out, c)
			continue
		}
		dir, tmpl := e, ""
		if i := strings.Index(e, "{{"); i >= 0 {
			// A path template: the folder is what comes before the first
			// placeholder's segment.
			dir, tmpl = ".", e
			if j := strings.LastIndex(e[:i], "/"); j >= 0 {
				dir, tmpl = e[:j], e[j+1:]
			}
		}
		if filepath.IsAbs(dir) {
			out = append(out, schema.FolderCatalog{FS: os.DirFS(dir), Dir: ".", Template: tmpl})
			continue
		}
		out = append(out, schema.FolderCatalog{FS: opts.FS, Dir: path.Clean(strings.TrimPrefix(dir, "./")), Template: tmpl})
	}
	return out
}

// fetchSchema reads file:// URLs, and http(s) URLs unless offline. A 404 is
// no schema, not an error.
func fetchSchema(offline bool) func(string) ([]byte, error) {
	client := &http.Client{Timeout: 20 * time.Second}
	return func(raw string) ([]byte, error) {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, err
		}
		switch u.Scheme {
		case "file":
			b, err := os.ReadFile(filepath.FromSlash(u.Path))
			if os.IsNotExist(err) {
				return nil, nil
			}
			return b, err
		case "http", "https":
			if offline {
				return nil, nil
			}
			resp, err := client.Get(raw)
			if err != nil {
				return nil, err
			}
			defer resp.Body.Close()
			switch {
			case resp.StatusCode == http.StatusNotFound:
				return nil, nil
			case resp.StatusCode != http.StatusOK:
				return nil, fmt.Errorf("%s: %s", raw, resp.Status)
			}
			return io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		}
		return nil, fmt.Errorf("%s: unsupported scheme", raw)
	}
}

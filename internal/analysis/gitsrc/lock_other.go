//go:build !unix

package gitsrc

import (
	"fmt"
	"os"
	"time"
)

// lockFile takes an exclusive lock on path by creating it exclusively,
// retrying while another process holds it; a lock older than the fetch
// timeout is taken over, since its owner is gone.
func lockFile(path string) (unlock func(), err error) {
	for start := time.Now(); ; {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !os.IsExist(err) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if st, serr := os.Stat(path); serr == nil && time.Since(st.ModTime()) > 2*time.Minute {
			os.Remove(path)
			continue
		}
		if time.Since(start) > 2*time.Minute {
			return nil, fmt.Errorf("%s: still locked by another process", path)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

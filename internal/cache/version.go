package cache

import (
	"fmt"
	"os"
	"runtime/debug"
	"sync"
)

var version = sync.OnceValue(func() string {
	v := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		v = bi.Main.Path + "@" + bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				v += " " + s.Key + "=" + s.Value
			}
		}
	}
	// A development build has no version of its own: the executable's
	// size and time tell two builds apart.
	if exe, err := os.Executable(); err == nil {
		if info, err := os.Stat(exe); err == nil {
			v += fmt.Sprintf(" %d %d", info.Size(), info.ModTime().UnixNano())
		}
	}
	return v
})

// Version names the running tool for cache keys: entries written by
// another version (or another build) are never read.
func Version() string { return version() }

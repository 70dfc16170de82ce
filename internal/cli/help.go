package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// flagGroups are the common flags a command takes.
type flagGroups int

const (
	// sourceFlags: where the repository and its bases come from.
	sourceFlags flagGroups = 1 << iota
	// outputFlags: --format and --no-color.
	outputFlags
	// findingFlags: which findings count (--strict, --rule, --schema-location).
	findingFlags

	allCommon = sourceFlags | outputFlags | findingFlags
)

// help is what a command's --help prints: a usage line, what it does, its
// flags and examples.
type help struct {
	usage    string // after "Usage: "
	about    string
	examples []string
}

// command sets up a subcommand taking every common flag; usage is its
// whole help text above the flags.
func command(name, usage string, env Env) (*flag.FlagSet, *common) {
	return commandWith(name, help{about: usage}, env, allCommon)
}

// commandWith sets up a subcommand with the common flags of groups and the
// output formats it prints (the first is the default).
func commandWith(name string, h help, env Env, groups flagGroups, formats ...string) (*flag.FlagSet, *common) {
	fs := newFlagSet(name, env)
	c := &common{formats: formats}
	c.register(fs, groups)
	fs.Usage = func() { printHelp(env.Stderr, fs, h) }
	return fs, c
}

// printHelp writes the help of a command: flags spelt with two dashes, as
// users type them, each with its value name and default.
func printHelp(w io.Writer, fs *flag.FlagSet, h help) {
	if h.usage != "" {
		fmt.Fprintf(w, "Usage: %s\n\n", h.usage)
	}
	if h.about != "" {
		fmt.Fprintln(w, strings.TrimRight(h.about, "\n"))
		fmt.Fprintln(w)
	}
	var rows [][2]string
	width := 0
	fs.VisitAll(func(f *flag.Flag) {
		name, text := flag.UnquoteUsage(f)
		left := "--" + f.Name
		if name != "" {
			left += " " + name
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "[]" {
			text += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		width = max(width, len(left))
		rows = append(rows, [2]string{left, text})
	})
	if len(rows) > 0 {
		fmt.Fprintln(w, "Flags:")
		for _, r := range rows {
			fmt.Fprintf(w, "  %-*s  %s\n", width, r[0], r[1])
		}
	}
	if len(h.examples) > 0 {
		fmt.Fprintln(w, "\nExamples:")
		for _, e := range h.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

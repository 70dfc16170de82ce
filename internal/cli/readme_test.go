package cli_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/cli"
	"github.com/opencenter-cloud/gitops-hook/internal/gittest"
)

// readmeCommand is one command of a README shell block, with the first
// line of output the README shows for it, if any.
type readmeCommand struct {
	line  int
	dir   string // relative to the project root
	args  []string
	shell string // a sed or git line, run by sh
	shown string
}

// readmeCommands reads every ```sh block of the README: "$ " lines when a
// block has them (the lines after them are output), else every line.
func readmeCommands(t *testing.T, readme string) []readmeCommand {
	t.Helper()
	var out []readmeCommand
	var block []string
	var start int
	in := false
	sc := bufio.NewScanner(strings.NewReader(readme))
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case !in && strings.TrimSpace(line) == "```sh":
			in, block, start = true, nil, n+1
		case in && strings.TrimSpace(line) == "```":
			in = false
			out = append(out, parseBlock(start, block)...)
		case in:
			block = append(block, line)
		}
	}
	return out
}

func parseBlock(start int, lines []string) []readmeCommand {
	prompted := false
	for _, l := range lines {
		if strings.HasPrefix(l, "$ ") {
			prompted = true
		}
	}
	var out []readmeCommand
	dir := "."
	for i, l := range lines {
		if prompted {
			if !strings.HasPrefix(l, "$ ") {
				if n := len(out); n > 0 && out[n-1].shown == "" && out[n-1].line == start+i-1 {
					out[n-1].shown = strings.TrimSpace(l)
				}
				continue
			}
			l = l[2:]
		}
		if c := strings.Index(l, "  #"); c >= 0 {
			l = l[:c]
		}
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		for _, part := range strings.Split(l, "&&") {
			f := strings.Fields(part)
			switch {
			case len(f) == 2 && f[0] == "cd":
				dir = filepath.Join(dir, f[1])
			case len(f) > 0 && f[0] == "gitops-hook":
				out = append(out, readmeCommand{line: start + i, dir: dir, args: f[1:]})
			case len(f) > 2 && f[0] == "go" && f[1] == "run" && f[2] == "./cmd/gitops-hook":
				out = append(out, readmeCommand{line: start + i, dir: dir, args: f[3:]})
			case len(f) > 0 && (f[0] == "sed" || f[0] == "git"):
				out = append(out, readmeCommand{line: start + i, dir: dir, shell: strings.TrimSpace(part)})
			}
		}
	}
	return out
}

// TestReadmeCommandsRun runs every gitops-hook command the README shows,
// in order, on a git repository holding the demo, as a new user would:
// none may fail to run (exit 2) unless the README shows that error, and the
// first line of output the README shows must be printed.
func TestReadmeCommandsRun(t *testing.T) {
	gittest.Require(t)
	root := projectRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmds := readmeCommands(t, string(readme))
	if len(cmds) < 15 {
		t.Fatalf("found %d commands in the README; the parser lost them", len(cmds))
	}
	top := gittest.Init(t)
	copyTree(t, filepath.Join(root, "testdata", "demo"), filepath.Join(top, "testdata", "demo"), nil)
	copyTree(t, filepath.Join(root, "testdata", "gitops-base.git"), filepath.Join(top, "testdata", "gitops-base.git"), nil)
	gittest.Git(t, top, "add", "-A")
	gittest.Git(t, top, "commit", "-q", "-m", "demo")
	cache := t.TempDir()
	for _, c := range cmds {
		dir := filepath.Join(top, c.dir)
		if c.shell != "" {
			cmd := exec.Command("sh", "-c", c.shell)
			cmd.Dir, cmd.Env = dir, gittest.Env()
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("README.md:%d: %s: %v\n%s", c.line, c.shell, err, out)
			}
			continue
		}
		code, out, errOut := runEnv(dir, cache, c.args...)
		t.Logf("README.md:%d: gitops-hook %s: exit %d", c.line, strings.Join(c.args, " "), code)
		all := out + errOut
		documentedError := strings.HasPrefix(c.shown, "gitops-hook "+c.args[0]+":")
		if code == cli.ExitUsage && !documentedError {
			t.Errorf("README.md:%d: gitops-hook %s (in %s) could not run:\n%s", c.line, strings.Join(c.args, " "), c.dir, errOut)
			continue
		}
		if c.shown != "" && c.shown != "..." && !strings.Contains(all, c.shown) {
			t.Errorf("README.md:%d: gitops-hook %s: the README shows %q, the command printed:\n%s", c.line, strings.Join(c.args, " "), c.shown, all)
		}
	}
}

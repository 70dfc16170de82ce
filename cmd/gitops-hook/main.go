// Command gitops-hook checks FluxCD GitOps repositories: as a git
// pre-commit hook, in CI, and from the command line.
package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	wd, _ := os.Getwd()
	tty := false
	if fi, err := os.Stdout.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		tty = true
	}
	stderr := os.Stderr
	stopProfile := profile()
	flush := quietKustomize()
	code := cli.Run(ctx, os.Args[1:], cli.Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: stderr,
		Getenv: os.Getenv, Dir: wd, IsTTY: tty,
	})
	flush()
	stopProfile()
	stop()
	os.Exit(code)
}

// profile writes a CPU profile to $GITOPS_HOOK_CPUPROFILE and a heap
// profile to $GITOPS_HOOK_MEMPROFILE when they are set (see README,
// Development); the returned function finishes them.
func profile() func() {
	var cpu *os.File
	if p := os.Getenv("GITOPS_HOOK_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil && pprof.StartCPUProfile(f) == nil {
			cpu = f
		}
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			cpu.Close()
		}
		if p := os.Getenv("GITOPS_HOOK_MEMPROFILE"); p != "" {
			if f, err := os.Create(p); err == nil {
				_ = pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
	}
}

// quietKustomize drops the deprecation notices kustomize prints straight to
// os.Stderr while building ("# Warning: 'patchesJson6902' is deprecated"):
// the analysis reports them as kustomize/deprecated-field, at their line.
// Everything else written to os.Stderr passes through. The returned
// function restores os.Stderr and waits for the copy to finish.
func quietKustomize() func() {
	real := os.Stderr
	r, w, err := os.Pipe()
	if err != nil {
		return func() {}
	}
	os.Stderr = w
	done := make(chan struct{})
	go func() {
		defer close(done)
		filterDeprecations(r, real)
	}()
	return func() {
		os.Stderr = real
		w.Close()
		<-done
		r.Close()
	}
}

func filterDeprecations(r io.Reader, w io.Writer) {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if line != "" && !(strings.HasPrefix(line, "# Warning: '") && strings.Contains(line, "is deprecated")) {
			io.WriteString(w, line)
		}
		if err != nil {
			return
		}
	}
}

// Command gitops-hook checks FluxCD GitOps repositories: as a git
// pre-commit hook, in CI, and from the command line.
package main

import (
	"context"
	"os"
	"os/signal"

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
	code := cli.Run(ctx, os.Args[1:], cli.Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, Dir: wd, IsTTY: tty,
	})
	stop()
	os.Exit(code)
}

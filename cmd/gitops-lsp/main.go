// Command gitops-lsp is the language server of gitops-hook: live
// diagnostics, quick fixes, promotion and navigation for FluxCD GitOps
// repositories, over the Language Server Protocol on stdin/stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/opencenter-cloud/gitops-hook/internal/lsp"
)

const usage = `Usage: gitops-lsp [--log FILE]

The language server of gitops-hook. Editors start it and speak the Language
Server Protocol with it on stdin and stdout; it analyses the workspace folder
(open buffers laid over the files on disk) as ` + "`gitops-hook check`" + ` does and
publishes the findings, quick fixes, promotions and tag pins as code actions.

Settings (initializationOptions, or workspace/didChangeConfiguration under
"gitops"): environments, mirrors, offline, rules; they override .gitops.yaml.
See the README, "Editor setup", for Neovim, Helix, Emacs and VS Code.

Flags:
`

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("gitops-lsp", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	logPath := fs.String("log", "", "append log lines to FILE as well as sending them to the editor (window/logMessage)")
	version := fs.Bool("version", false, "print the version and exit")
	_ = fs.Bool("stdio", true, "speak LSP on stdin/stdout (the only transport; accepted for editors that pass it)")
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "gitops-lsp: unexpected argument %q\n\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	ver := versionString()
	if *version {
		fmt.Printf("gitops-lsp %s\n%s %s/%s\n", ver, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	}
	var logw io.Writer
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "gitops-lsp: --log: %v\n", err)
			return 2
		}
		defer f.Close()
		logw = f
	}
	// The protocol owns stdout: anything else printing there (a library's
	// stray output) would corrupt the stream, so os.Stdout points at stderr.
	stdout := os.Stdout
	os.Stdout = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s := lsp.New(lsp.Options{Name: "gitops-lsp", Version: ver, Log: logw, Watch: true})
	if err := s.Serve(ctx, stdio{os.Stdin, stdout}); err != nil {
		fmt.Fprintf(os.Stderr, "gitops-lsp: %v\n", err)
		return 1
	}
	return 0
}

func versionString() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// stdio is stdin and stdout as one stream.
type stdio struct {
	in  *os.File
	out *os.File
}

func (s stdio) Read(p []byte) (int, error)  { return s.in.Read(p) }
func (s stdio) Write(p []byte) (int, error) { return s.out.Write(p) }
func (s stdio) Close() error {
	err := s.in.Close()
	if e := s.out.Close(); err == nil {
		err = e
	}
	return err
}

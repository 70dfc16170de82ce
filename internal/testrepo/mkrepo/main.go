// Command mkrepo builds a bare git repository from the "@TAG/path" files of
// a txtar archive: go run ./internal/testrepo/mkrepo ARCHIVE DIR
package main

import (
	"fmt"
	"os"

	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
	"github.com/rogpeppe/go-internal/txtar"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: mkrepo ARCHIVE.txtar DIR")
		os.Exit(2)
	}
	a, err := txtar.ParseFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := testrepo.Build(os.Args[2], testrepo.Snapshots(a)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// Command gen writes a synthetic openCenter repository for benchmarks:
//
//	go run ./internal/synth/gen -clusters 3 -services 60 -out /tmp/synth-3x60
//
// It creates OUT/repo (analyse it with gitops-hook check OUT/repo) and
// OUT/base.git, which OUT/repo/.gitops.yaml names as the base's mirror.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/opencenter-cloud/gitops-hook/internal/synth"
)

func main() {
	clusters := flag.Int("clusters", 3, "number of clusters")
	services := flag.Int("services", 60, "number of services per cluster")
	out := flag.String("out", "", "output folder (required)")
	flag.Parse()
	if *out == "" || *clusters < 1 || *services < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := synth.Generate(*out, *clusters, *services); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Printf("%s/repo: %d clusters x %d services\n", *out, *clusters, *services)
}

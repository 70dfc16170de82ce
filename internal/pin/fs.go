package pin

import (
	"io/fs"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
)

func readFile(aopts analysis.Options, name string) ([]byte, error) {
	return fs.ReadFile(aopts.FS, name)
}

package cli

import (
	"encoding/json"
	"fmt"
)

func writeJSONOut(env Env, v any) int {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(env.Stderr, "gitops-hook: %v\n", err)
		return ExitUsage
	}
	return ExitOK
}

package cli

import (
	"context"
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

func notYet(env Env, cmd string) int {
	fmt.Fprintf(env.Stderr, "gitops-hook %s: not available in this build\n", cmd)
	return ExitUsage
}

func runPromote(ctx context.Context, args []string, env Env) int { return notYet(env, "promote") }
func runPin(ctx context.Context, args []string, env Env) int     { return notYet(env, "pin") }
func runDiff(ctx context.Context, args []string, env Env) int    { return notYet(env, "diff") }

package hookinstall

import (
	"strings"
)

// Shim is the pre-commit script. The chained foreign hook runs first and
// whatever the skip switches say: they skip gitops-hook, not the hooks of
// others (openCenter's honours OPENCENTER_SKIP_HOOKS itself). A chained
// hook that is not executable is ignored, as git itself would ignore it.
func Shim(bin string) []byte {
	if bin == "" {
		bin = "gitops-hook"
	}
	return []byte(`#!/bin/sh
` + Marker + `
# Runs "gitops-hook run" on the staged content. Skip it with GITOPS_HOOK=0
# or SKIP=gitops-hook; GITOPS_HOOK_BIN names another binary.
chained="$(dirname "$0")/` + ChainedName + `"
if [ -f "$chained" ] && [ -x "$chained" ]; then
	"$chained" "$@" || exit $?
fi
[ "${GITOPS_HOOK:-}" = 0 ] && exit 0
case ",$(printf '%s' "${SKIP:-}" | tr -d ' ')," in *,gitops-hook,*) exit 0 ;; esac
bin=` + shellQuote(bin) + `
exec "${GITOPS_HOOK_BIN:-$bin}" run
`)
}

// shellQuote quotes s for POSIX sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

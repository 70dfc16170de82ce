// Package suggest finds the word a user probably meant: the "did you mean"
// of rule IDs, configuration keys, file and object names.
package suggest

import (
	"fmt"
	"strings"
)

// maxLen bounds the words compared: the distance is quadratic, and names
// longer than this are not typos of one another worth suggesting.
const maxLen = 64

// Distance is the Levenshtein distance between a and b; words longer than
// 64 bytes are treated as far apart.
func Distance(a, b string) int {
	if len(a) > maxLen || len(b) > maxLen {
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Closest returns the candidate closest to word, ignoring case, or "" when
// none is within a third of the word's length (plus two).
func Closest(word string, cands []string) string {
	best, bestD := "", len(word)/3+2
	for _, c := range cands {
		if d := Distance(strings.ToLower(word), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// DidYouMean is ` (did you mean "x"?)` for the closest candidate, or "".
func DidYouMean(word string, cands []string) string {
	if best := Closest(word, cands); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

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

// Unique returns the one candidate closest to word, within a third of the
// word's length (at least one edit), or "" when none is that close or
// several are equally close. A candidate that differs from word only in
// its digits is another of a series (node-1, node-2), never a typo. For
// suggestions that may be applied as fixes, where a guess between two
// would be wrong half the time.
func Unique(word string, cands []string) string {
	return UniqueBy(cands, max(len(word)/3, 1), func(c string) int {
		if c == word || OnlyDigitsDiffer(c, word) {
			return -1
		}
		return Distance(word, c)
	})
}

// UniqueBy is Unique with the distance of each candidate given by dist
// (negative: not a candidate) and the largest distance accepted.
func UniqueBy(cands []string, bound int, dist func(cand string) int) string {
	best, bestD, ties := "", bound, 0
	seen := map[string]bool{}
	for _, c := range cands {
		if seen[c] {
			continue
		}
		seen[c] = true
		d := dist(c)
		switch {
		case d < 0:
		case d < bestD || best == "" && d == bestD:
			best, bestD, ties = c, d, 0
		case d == bestD:
			ties++
		}
	}
	if ties > 0 {
		return ""
	}
	return best
}

// OnlyDigitsDiffer reports whether a and b differ, and only in digits.
func OnlyDigitsDiffer(a, b string) bool {
	strip := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return -1
			}
			return r
		}, s)
	}
	return a != b && strip(a) == strip(b)
}

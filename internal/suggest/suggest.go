// Package suggest is the one "did you mean" rule of every diagnostic that
// names an unknown thing (an attribute of a record, a setting, an
// operator): lang, ir/eval and the backends all use it, so the same typo
// gets the same suggestion wherever it is caught.
//
// The rule is Terraform's: the candidate nearest by edit distance
// (Levenshtein, over runes), if it is at most MaxDistance edits away;
// ties go to the name that sorts first, so the result does not depend on
// the candidates' order. It is pure Go and builds for GOOS=wasip1.
package suggest

import (
	"fmt"

	"github.com/agext/levenshtein"
)

// MaxDistance is the most edits a suggestion may be from what was
// written: two catches a transposition ("admin_ulr") or a dropped and a
// wrong letter, while three already suggests unrelated short names.
const MaxDistance = 2

// Closest returns the candidate nearest to given, or "" if none is within
// MaxDistance.
func Closest(given string, candidates []string) string {
	best, bestD := "", MaxDistance+1
	for _, c := range candidates {
		d := levenshtein.Distance(given, c, nil)
		if d < bestD || d == bestD && c < best {
			best, bestD = c, d
		}
	}
	return best
}

// Hint returns ` Did you mean "NAME"?` for the closest candidate, to append
// to a diagnostic's detail, or "" if there is none.
func Hint(given string, candidates []string) string {
	if s := Closest(given, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// Package suggest finds the name a user probably meant, for "did you mean"
// hints in error messages (configuration keys, catalogue names).
package suggest

// Distance is the Levenshtein distance between a and b, in bytes.
func Distance(a, b string) int {
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

// Closest returns the option nearest to s by edit distance, or "" when
// none is near enough to be a likely typo: within max(2, len(s)/4) edits.
// Ties go to the option that sorts first, so the hint does not depend on
// the order options come in. Every "did you mean" in Hearth uses it.
func Closest(s string, options []string) string {
	best, bestD := "", -1
	for _, o := range options {
		d := Distance(s, o)
		if bestD < 0 || d < bestD || d == bestD && o < best {
			best, bestD = o, d
		}
	}
	if bestD < 0 || bestD > max(2, len(s)/4) {
		return ""
	}
	return best
}

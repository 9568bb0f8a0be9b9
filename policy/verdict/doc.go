// Package verdict holds the small value types that say what the policy
// decided and why: Action, Reason and Mode, the Facts of one decision (from
// a policy.Decision or a journal row), and the TTL cap that keeps an answer
// from outliving the decision's next change.
//
// It imports nothing of Hearth's, so the journal, the report, the dashboard
// and the policy itself can all use the same typed values without an import
// cycle. The words for these values live in policy/words.
package verdict

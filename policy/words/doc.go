// Package words turns a decision's Facts (policy/verdict) into text: the
// short reason of an EDE text and of `hearth lists`, the lines of `hearth
// explain`, the reason column of `hearth log` and the dashboard's log, and
// the phrases the report shares with them. A decision from the policy and a
// row read back from the journal go through the same functions, so the
// same decision reads the same everywhere.
package words

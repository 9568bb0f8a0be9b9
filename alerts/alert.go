package alerts

import (
	"fmt"
	"strings"
	"time"
)

// Kind is what happened.
type Kind string

// The kinds of alert.
const (
	KindBlocked     Kind = "blocked"       // tries at a "tell me" category or service, counted per hour
	KindBedtimeChat Kind = "bedtime_chat"  // a chat service tried during bedtime
	KindBypass      Kind = "bypass"        // a way round the filter tried
	KindNewDevice   Kind = "new_device"    // a device seen for the first time, not named yet
	KindUnwell      Kind = "unwell"        // Hearth itself: upstreams, lists, journal
	KindBudgetLow   Kind = "budget_low"    // a daily budget at 10 minutes left
	KindBudgetSpent Kind = "budget_spent"  // a daily budget used up
	KindSilent      Kind = "silent_device" // a known device online but not asking Hearth
	KindTest        Kind = "test"          // the dashboard's "send a test alert"
	KindSummary     Kind = "summary"       // alerts held by quiet hours or the rate limit, sent as one
	KindDigest      Kind = "digest"        // the weekly report: a summary, and the whole report by mail
)

// Alert is one message to the parent, exactly as it leaves the house:
// the webhook's JSON body is this (docs/alerts.md).
type Alert struct {
	ID    string `json:"id"`    // unique, stable across retries
	Kind  Kind   `json:"kind"`  //
	Title string `json:"title"` // a few words (ntfy's title, the mail's subject)
	Text  string `json:"text"`  // the one-line message
	// Owner is whose the device is: the device's name now (a person's name
	// once people are configured); "" for Hearth's own alerts.
	Owner    string `json:"owner,omitempty"`
	Group    string `json:"group,omitempty"`
	Service  string `json:"service,omitempty"`  // catalogue service id ("omegle")
	Category string `json:"category,omitempty"` // category id ("random-video-chat")
	// Domain is the looked-up name, only with alerts.detail: true.
	Domain string `json:"domain,omitempty"`
	Count  int    `json:"count,omitempty"` // tries counted into this alert
	// Budget is a daily budget's id ("gaming", "tiktok,youtube"), Left and
	// Allowed its minutes left and allowed today (budget alerts only).
	Budget  string `json:"budget,omitempty"`
	Left    int    `json:"left,omitempty"`
	Allowed int    `json:"allowed,omitempty"`
	// Time is when it happened (the first try), From/Until the hour
	// counted, in the household's zone (RFC 3339 with its offset).
	Time  time.Time  `json:"time"`
	Until *time.Time `json:"until,omitempty"`
	Link  string     `json:"link,omitempty"` // the dashboard page to look at
	// Alerts are the alerts a summary stands for.
	Alerts []Alert `json:"alerts,omitempty"`
	// HTML is the weekly digest's whole report for mail clients; only the
	// e-mail channel keeps it (Notify drops it for the others), so no
	// webhook or ntfy message carries more than the summary in Text.
	HTML string `json:"html,omitempty"`
}

// clockText is "21:00" in the household's zone.
func clockText(t time.Time) string { return t.Format("15:04") }

// tries is "once" or "14 times".
func tries(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

// summarise makes one alert of several held ones.
func summarise(held []Alert, why string, now time.Time, link string) Alert {
	var b strings.Builder
	fmt.Fprintf(&b, "%d alerts %s: ", len(held), why)
	for i, a := range held {
		if i > 0 {
			b.WriteString("; ")
		}
		if i == 5 {
			fmt.Fprintf(&b, "and %d more", len(held)-5)
			break
		}
		b.WriteString(a.Text)
	}
	return Alert{
		ID: "sum-" + held[0].ID, Kind: KindSummary, Title: fmt.Sprintf("Hearth: %d alerts", len(held)),
		Text: b.String(), Time: now, Link: link, Alerts: held,
	}
}

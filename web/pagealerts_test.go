package web

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

// The Alerts page saves channels, events and quiet hours into hearth.yaml's
// alerts section; a secret is never shown back, and an empty secret field
// keeps the one the file has; "send a test alert" with no channel running
// says what to do.
func TestAlertsPage(t *testing.T) {
	t.Parallel()
	f, csrf, path := newRulesFixture(t)
	resp, page := f.get("/alerts")
	wantPage(t, "alerts page", resp, page, http.StatusOK, "<h1>Alerts</h1>", "No channel is set yet", `name="blocked" value="adult" checked`)
	form := url.Values{"csrf": {csrf}, "version": {versionOf(t, page)}, "ntfy_url": {"https://ntfy.example.net/family"}, "ntfy_token": {"tk_secret123"},
		"events": {"bypass", "new_device", "budget"}, "blocked": {"adult", "chat"}, "quiet_hours": {"daily 22:30-07:00"}, "silent_device": {"1h"}, "digest": {"sun 18:00"}}
	resp, body := f.post("/alerts/save", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %s\n%s", resp.Status, body)
	}
	data, _ := os.ReadFile(path)
	for _, want := range []string{"alerts:", "https://ntfy.example.net/family", "tk_secret123", "bedtime_chat: false", "budget: true", "silent_device: 1h", "daily 22:30-07:00", "chat", `digest: "sun 18:00"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("hearth.yaml has no %q:\n%s", want, data)
		}
	}
	_, page = f.get("/alerts")
	if !strings.Contains(page, `name="digest" value="sun 18:00"`) {
		t.Errorf("the digest's time is not shown back:\n%s", page)
	}
	if strings.Contains(page, "tk_secret123") || !strings.Contains(page, "one is set: leave empty to keep it") {
		t.Errorf("the token is shown back, or not said to be set:\n%s", page)
	}
	form.Set("version", versionOf(t, page))
	form.Set("ntfy_token", "")
	form.Set("digest", "")
	if resp, body = f.post("/alerts/save", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save again: %s\n%s", resp.Status, body)
	}
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), "tk_secret123") {
		t.Errorf("an empty token field removed the token:\n%s", data)
	} else if strings.Contains(string(data), "digest:") {
		t.Errorf("an empty digest field kept the digest:\n%s", data)
	}
	resp, body = f.post("/alerts/test", url.Values{"csrf": {csrf}})
	wantPage(t, "test with no channel running", resp, body, http.StatusNotFound, "No alert channel is set")
}

// The Alerts page's "for a group or a child": one group's events saved into
// alerts.for, shown back in words and in the form; the household's form
// keeps them; everything "as the household" removes the entry.
func TestAlertsForPage(t *testing.T) {
	t.Parallel()
	f, csrf, path := newRulesFixture(t)
	resp, page := f.get("/alerts?for=kids")
	wantPage(t, "alerts page", resp, page, http.StatusOK, "For a group or a child", "None yet", `<option value="kids" selected>kids (group)</option>`,
		`name="who" value="kids"`)
	form := url.Values{"csrf": {csrf}, "version": {versionOf(t, page)}, "who": {"kids"}, "bypass": {"off"}, "bedtime_chat": {""},
		"silent_device": {"20m"}, "blocked_mode": {"own"}, "blocked": {"gaming", "adult"}}
	if resp, body := f.post("/alerts/for", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %s\n%s", resp.Status, body)
	}
	data, _ := os.ReadFile(path)
	for _, want := range []string{"for:", "kids:", "bypass: false", "silent_device: 20m", "blocked: [gaming, adult]"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("hearth.yaml has no %q:\n%s", want, data)
		}
	}
	if strings.Contains(string(data), "bedtime_chat") {
		t.Errorf("an \"as the household\" switch was written:\n%s", data)
	}
	_, page = f.get("/alerts?for=kids")
	wantPage(t, "shown back", resp, page, http.StatusOK, "<strong>kids</strong> (group): blocked tries at Gaming, Adult",
		"ways round the filter off; silent after 20m", `<option value="off" selected>Do not tell me</option>`,
		`name="blocked_mode" value="own" checked`, `<option value="20m" selected>After 20 minutes</option>`)
	save := url.Values{"csrf": {csrf}, "version": {versionOf(t, page)}, "events": {"bypass"}, "blocked": {"adult"}}
	if resp, body := f.post("/alerts/save", save); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("household save: %s\n%s", resp.Status, body)
	}
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), "bypass: false") {
		t.Errorf("the household's form removed alerts.for:\n%s", data)
	}
	_, page = f.get("/alerts?for=kids")
	form = url.Values{"csrf": {csrf}, "version": {versionOf(t, page)}, "who": {"kids"}, "blocked_mode": {"household"}}
	if resp, body := f.post("/alerts/for", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %s\n%s", resp.Status, body)
	}
	if data, _ := os.ReadFile(path); strings.Contains(string(data), "kids: {") || strings.Contains(string(data), "bypass: false") {
		t.Errorf("the entry is still there:\n%s", data)
	}
}

package policy_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/policytest"
	"github.com/hearth-dns/hearth/policy/state"
)

// rulesNow is Thursday 26 November 2026, noon UTC.
var rulesNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func rulesEngine(t *testing.T) *policy.Engine {
	t.Helper()
	cfg := policy.Config{
		Timezone: "UTC",
		Blocking: policy.BlockingConfig{Response: policy.ResponseNXDomain, TTL: 10 * time.Second},
		Identify: policy.IdentifyConfig{Refresh: time.Minute},
		Devices:  []policy.DeviceConfig{{Name: "Alex-Tablet", IP: []string{"127.0.0.2"}, Group: "kids"}},
		Groups: map[string]policy.GroupConfig{
			"default": {},
			"kids":    {Rules: []policy.RuleConfig{{Block: []string{"gaming"}, Outside: []string{"daily 16:00-19:00"}}}},
		},
	}
	return policytest.Engine(t, cfg, clocktest.New(rulesNow))
}

// fieldsOf maps each *fielderr.Error joined in err to its message.
func fieldsOf(err error) map[string]string {
	out := map[string]string{}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var fe *fielderr.Error
		if errors.As(e, &fe) {
			out[fe.Key] = fe.Msg
		}
	}
	return out
}

func TestCheckOverride(t *testing.T) {
	t.Parallel()
	e := rulesEngine(t)
	pause, bonus := state.OverridePause, state.OverrideBonus
	in30 := rulesNow.Add(30 * time.Minute)

	// Accepted: the device's name as written, Until from the minutes.
	ov, err := e.CheckOverride(state.Request{Kind: pause, Device: "alex-tablet", Minutes: 30, By: "dashboard"}, rulesNow)
	if err != nil || ov.Device != "Alex-Tablet" || !ov.Until.Equal(in30) || ov.By != "dashboard" || ov.Kind != pause {
		t.Errorf("pause for 30 minutes: %+v, %v", ov, err)
	}
	ov, err = e.CheckOverride(state.Request{Kind: bonus, Group: "kids", What: "gaming", Until: in30}, rulesNow)
	if err != nil || ov.Group != "kids" || ov.What != "gaming" || !ov.Until.Equal(in30) {
		t.Errorf("bonus until an instant: %+v, %v", ov, err)
	}
	if _, err := e.CheckOverride(state.Request{Kind: pause, Device: "alex-tablet", Minutes: 7 * 24 * 60}, rulesNow); err != nil {
		t.Errorf("a week, the longest: %v", err)
	}

	// Unknown devices and groups: not found, alone.
	for _, req := range []state.Request{
		{Kind: pause, Device: "nobody", Minutes: -3},
		{Kind: bonus, Group: "teens", What: "knitting"},
	} {
		_, err := e.CheckOverride(req, rulesNow)
		var nf *state.NotFoundError
		if !errors.Is(err, state.ErrNotFound) || !errors.As(err, &nf) || len(fieldsOf(err)) != 0 {
			t.Errorf("%+v: %v, want not found alone", req, err)
		}
	}
	if _, err := e.CheckOverride(state.Request{Kind: pause, Group: "teens", Minutes: 5}, rulesNow); err == nil ||
		err.Error() != `no group "teens" (groups: default, kids)` {
		t.Errorf("unknown group: %v", err)
	}

	// Every other problem, per field.
	for _, tt := range []struct {
		req  state.Request
		want map[string]string // field -> the start of its message
	}{
		{state.Request{Kind: pause, Device: "alex-tablet", Group: "kids", Minutes: 5}, map[string]string{"device": `set one of a device ("alex-tablet"), a group ("kids") or all`}},
		{state.Request{Kind: pause, Minutes: 5}, map[string]string{"device": "set a device, a group or all"}},
		{state.Request{Kind: pause, Device: "alex-tablet", What: "gaming", Minutes: 5}, map[string]string{"what": `"gaming": a pause is for everything`}},
		{state.Request{Kind: bonus, Device: "alex-tablet", Minutes: 5}, map[string]string{"what": "bonus time needs a category or service"}},
		{state.Request{Kind: bonus, Device: "alex-tablet", What: "knitting", Minutes: 5}, map[string]string{"what": `"knitting" is not a category or service`}},
		{state.Request{Kind: "forever", Device: "alex-tablet", Minutes: 5}, map[string]string{"kind": `"forever": use "pause", "bonus", "later-bedtime", "early-bedtime" or "extra-minutes"`}},
		{state.Request{Kind: pause, Device: "alex-tablet"}, map[string]string{"minutes": "say for how long"}},
		{state.Request{Kind: pause, Device: "alex-tablet", Minutes: -5}, map[string]string{"minutes": "-5 is outside 1..10080"}},
		{state.Request{Kind: pause, Device: "alex-tablet", Minutes: 10081}, map[string]string{"minutes": "10081 is outside 1..10080"}},
		{state.Request{Kind: pause, Device: "alex-tablet", Minutes: 5, Until: in30}, map[string]string{"minutes": "set one of minutes, until or morning"}},
		{state.Request{Kind: pause, Device: "alex-tablet", Until: rulesNow}, map[string]string{"until": "2026-11-26T12:00:00Z is not in the future"}},
		{state.Request{Kind: pause, Device: "alex-tablet", Until: rulesNow.Add(-time.Hour)}, map[string]string{"until": "2026-11-26T11:00:00Z is not in the future"}},
		{state.Request{Kind: pause, Device: "alex-tablet", Until: rulesNow.Add(8 * 24 * time.Hour)}, map[string]string{"until": "2026-12-04T12:00:00Z is more than 7 days ahead"}},
		// Several at once: each field named.
		{state.Request{Kind: bonus, Minutes: -1}, map[string]string{"device": "set a device", "what": "bonus time needs", "minutes": "-1 is outside"}},
	} {
		_, err := e.CheckOverride(tt.req, rulesNow)
		got := fieldsOf(err)
		if err == nil || errors.Is(err, state.ErrNotFound) || len(got) != len(tt.want) {
			t.Errorf("%+v: %v (fields %v), want fields %v", tt.req, err, got, tt.want)
			continue
		}
		for k, w := range tt.want {
			if !strings.HasPrefix(got[k], w) {
				t.Errorf("%+v: %s = %q, want %q...", tt.req, k, got[k], w)
			}
		}
	}
}

// TestCheckOverrideThenAdd: what CheckOverride accepts, the store adds.
func TestCheckOverrideThenAdd(t *testing.T) {
	t.Parallel()
	e := rulesEngine(t)
	ov, err := e.CheckOverride(state.Request{Kind: state.OverrideBonus, Device: "alex-tablet", What: "gaming", Minutes: 45}, rulesNow)
	if err != nil {
		t.Fatal(err)
	}
	added, err := e.Overrides().Add(ov)
	if err != nil || added.ID == "" || !added.Until.Equal(rulesNow.Add(45*time.Minute)) {
		t.Fatalf("Add: %+v, %v", added, err)
	}
	st, _ := e.DeviceStatus("alex-tablet", rulesNow)
	if len(st.Bonuses) != 1 || st.State != "open" {
		t.Errorf("status with the bonus: state %s, bonuses %+v", st.State, st.Bonuses)
	}
}

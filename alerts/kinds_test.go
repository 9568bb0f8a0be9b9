package alerts

import (
	"testing"
	"time"
)

// TestKindSwitches: events.budget switches both budget alerts;
// events.silent_device 0 switches the silent device off.
func TestKindSwitches(t *testing.T) {
	off := newEventFilter(EventsConfig{})
	on := newEventFilter(EventsConfig{Budget: true, SilentDevice: 40 * time.Minute})
	for _, k := range []Kind{KindBudgetLow, KindBudgetSpent, KindSilent} {
		if off.kindOn(k) || !on.kindOn(k) {
			t.Errorf("%s: off %v, on %v", k, off.kindOn(k), on.kindOn(k))
		}
	}
	if ntfyPriority(KindSilent) != "high" || ntfyTags(KindBudgetSpent) != "hourglass,hearth,budget_spent" {
		t.Error("ntfy headers")
	}
}

package state

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/fielderr"
)

// TestOverridesExtend: an override's end moves, is saved, and stays within
// the store's rules; ended and unknown overrides cannot be extended.
func TestOverridesExtend(t *testing.T) {
	path := filepath.Join(t.TempDir(), OverridesFile)
	o, clk := openTestOverrides(t, path)
	p := mustAddOverride(t, o, pauseKids(30*time.Minute))
	got, err := o.Extend(p.ID, 15*time.Minute)
	if err != nil || !got.Until.Equal(overrideT0.Add(45*time.Minute)) || got.ID != p.ID {
		t.Fatalf("Extend +15: %+v, %v", got, err)
	}
	if list := o.List(overrideT0); len(list) != 1 || !list[0].Until.Equal(got.Until) {
		t.Errorf("after Extend: %+v", list)
	}
	reopened, _ := openTestOverrides(t, path)
	if list := reopened.List(overrideT0); len(list) != 1 || !list[0].Until.Equal(got.Until) {
		t.Errorf("Extend was not saved: %+v", list)
	}
	var fe *fielderr.Error
	if _, err := o.Extend(p.ID, -time.Hour); !errors.As(err, &fe) || fe.Key != "minutes" {
		t.Errorf("shortened into the past: %v", err)
	}
	if _, err := o.Extend(p.ID, MaxOverride); !errors.As(err, &fe) || fe.Key != "minutes" {
		t.Errorf("extended past a week: %v", err)
	}
	if _, err := o.Extend("deadbeef", time.Minute); !errors.Is(err, ErrNoOverride) {
		t.Errorf("unknown ID: %v", err)
	}
	clk.Set(overrideT0.Add(time.Hour))
	if _, err := o.Extend(p.ID, time.Hour); !errors.Is(err, ErrNoOverride) {
		t.Errorf("an ended override extended: %v", err)
	}
}

// TestOverrideShapes: the new kinds and the target "everyone".
func TestOverrideShapes(t *testing.T) {
	o, _ := openTestOverrides(t, "")
	until := overrideT0.Add(time.Hour)
	for _, ov := range []Override{
		{Kind: OverridePause, All: true, Until: until},
		{Kind: OverrideLaterBedtime, Group: "kids", Until: until},
		{Kind: OverrideEarlyBedtime, Device: "alex-tablet", Until: until},
	} {
		got, err := o.Add(ov)
		if err != nil {
			t.Errorf("%+v: %v", ov, err)
		}
		if ov.All && got.Target() != "everyone" {
			t.Errorf("target %q", got.Target())
		}
	}
	for _, c := range []struct {
		ov    Override
		field string
	}{
		{Override{Kind: OverrideBonus, All: true, What: "gaming", Until: until}, "all"},
		{Override{Kind: OverridePause, All: true, Group: "kids", Until: until}, "device"},
		{Override{Kind: OverrideLaterBedtime, Group: "kids", What: "gaming", Until: until}, "what"},
	} {
		_, err := o.Add(c.ov)
		var fe *fielderr.Error
		if !errors.As(err, &fe) || fe.Key != c.field {
			t.Errorf("%+v: %v, want a problem with %s", c.ov, err, c.field)
		}
	}
}

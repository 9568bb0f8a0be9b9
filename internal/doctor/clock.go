package doctor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/config"
)

// 4. The clock.

func (d *Doctor) checkClock() {
	now := d.clock.Now()
	const advice = "a Raspberry Pi has no battery-backed clock and sets the time from the internet after each boot: " +
		"enable time synchronisation (`sudo timedatectl set-ntp true` for systemd-timesyncd, or install chrony) " +
		"and check that this machine reaches the internet (the router's connection, NTP on UDP port 123)"
	if now.Before(d.built) {
		d.report(Finding{Status: Fail,
			Text: fmt.Sprintf("clock: %s is before this build of Hearth (%s): the clock looks unset",
				now.UTC().Format("Mon 2006-01-02 15:04 MST"), d.built.Format("2006-01-02")),
			Fix: advice + ";\nuntil it is right, schedules and bedtimes apply at the wrong hours and encrypted upstreams fail"})
		return
	}
	title := "clock: " + now.UTC().Format("Mon 2006-01-02 15:04 MST")
	synced, err := d.syncProbe()
	switch {
	case err != nil:
		d.report(Finding{Status: Warn, Text: fmt.Sprintf("%s, but cannot tell whether it is synchronised (%v)", title, err),
			Fix: advice})
	case !synced:
		d.report(Finding{Status: Warn, Text: title + ", not synchronised with a time server", Fix: advice})
	default:
		d.report(Finding{Status: OK, Text: title + ", synchronised"})
	}
}

// buildFloor is the earliest the clock can be: the build date stamped in
// main.date (RFC 3339 or a date), or when this code was written.
func buildFloor(stamp string) time.Time {
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, stamp); err == nil && t.After(doctorCodeDate) {
			return t.UTC()
		}
	}
	return doctorCodeDate
}

var errSyncUnknown = errors.New("neither timedatectl nor systemd-timesyncd says")

// clockSynchronised asks timedatectl whether the clock is synchronised, else
// looks for systemd-timesyncd's flag file.
func clockSynchronised() (bool, error) {
	if path, err := exec.LookPath("timedatectl"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		out, err := exec.CommandContext(ctx, path, "show", "-p", "NTPSynchronized", "--value").Output()
		cancel()
		if err == nil {
			switch strings.TrimSpace(string(out)) {
			case "yes":
				return true, nil
			case "no":
				return false, nil
			}
		}
	}
	if _, err := os.Stat("/run/systemd/timesync/synchronized"); err == nil {
		return true, nil
	}
	if _, err := os.Stat("/run/systemd/timesync"); err == nil {
		return false, nil // timesyncd runs, and has not synchronised yet
	}
	return false, errSyncUnknown
}

// 5. The time zone.

func (d *Doctor) checkTimezone(cfg *config.Config) {
	loc, err := time.LoadLocation(cfg.Policy.Timezone)
	if err != nil { // config.Load has validated it
		d.report(Finding{Status: Fail, Text: fmt.Sprintf("timezone %q: %v", cfg.Policy.Timezone, err),
			Fix: "use an IANA name like Europe/London in timezone: in hearth.yaml"})
		return
	}
	d.report(Finding{Status: OK,
		Text:  fmt.Sprintf("timezone %s: it is %s in the household now", loc, d.clock.Now().In(loc).Format("Mon 2006-01-02 15:04 MST")),
		Notes: []string{"if a clock in the house disagrees, correct the clock (above) or timezone: in hearth.yaml"}})
}

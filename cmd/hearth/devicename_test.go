package main

import (
	"context"
	"strings"
	"testing"
)

// TestUnknownDeviceIsAnError: `hearth report --device` and `hearth log
// --device` with a typo say so with the nearest name, never "nothing
// blocked"; a configured name and an address still work.
func TestUnknownDeviceIsAnError(t *testing.T) {
	path := seededJournal(t)
	for _, cmd := range []string{"report", "log"} {
		a, stdout, stderr := testApp()
		code := execute(context.Background(), a, []string{cmd, "-c", path, "--device", "alex_tablet", "--since", "7d"})
		if code != exitError || !strings.Contains(stderr.String(), `did you mean "alex-tablet"?`) || stdout.Len() != 0 {
			t.Errorf("%s --device alex_tablet: exit %d, stdout %q, stderr %q", cmd, code, stdout, stderr)
		}
		for _, dev := range []string{"alex-tablet", "192.168.1.20"} {
			a, stdout, stderr := testApp()
			if code := execute(context.Background(), a, []string{cmd, "-c", path, "--device", dev, "--since", "7d"}); code != 0 || !strings.Contains(stdout.String(), "oblox") {
				t.Errorf("%s --device %s: exit %d, stdout %q, stderr %q", cmd, dev, code, stdout, stderr)
			}
		}
	}
}

// TestServicesConfigFlag: `hearth services` takes --config like the other
// commands, and a file that does not exist is an error.
func TestServicesConfigFlag(t *testing.T) {
	path := seededJournal(t)
	a, stdout, stderr := testApp()
	if code := execute(context.Background(), a, []string{"services", "--config", path, "tiktok"}); code != 0 || !strings.Contains(stdout.String(), "tiktok") {
		t.Errorf("services --config: exit %d, %q %q", code, stdout, stderr)
	}
	a, _, stderr = testApp()
	if code := execute(context.Background(), a, []string{"services", "--config", path + ".missing"}); code != exitError || stderr.Len() == 0 {
		t.Errorf("services --config missing: exit %d, %q", code, stderr)
	}
}

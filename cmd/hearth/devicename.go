package main

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/internal/suggest"
	"github.com/hearth-dns/hearth/journal"
)

// checkDevice makes --device NAME an error when nothing answers to it: not a
// device in hearth.yaml, not an address, and never seen in the journal. A
// typo must not read as "nothing blocked".
func checkDevice(ctx context.Context, cfg *config.Config, r *journal.Reader, device string) error {
	if device == "" {
		return nil
	}
	if _, err := netip.ParseAddr(device); err == nil {
		return nil
	}
	var names []string
	for _, d := range cfg.Policy.Devices {
		names = append(names, d.Name)
	}
	if slices.Contains(names, device) {
		return nil
	}
	// A device since renamed or removed is still in the journal.
	if rows, err := r.Rows(ctx, journal.Filter{Device: device, Limit: 1}); err == nil && len(rows) > 0 {
		return nil
	}
	msg := fmt.Sprintf("--device %q: no device has that name (in hearth.yaml or the journal)", device)
	if s := suggest.Closest(device, names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	if len(names) > 0 {
		slices.Sort(names)
		msg += " Devices: " + strings.Join(names, ", ") + "."
	} else {
		msg += " No device is named yet; an address (--device 192.168.1.23) works too."
	}
	return fmt.Errorf("%s", msg)
}

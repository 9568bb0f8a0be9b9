package doctor

import (
	"fmt"
	"time"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/internal/config"
)

// The neighbour check (alerts: devices online but silent, new devices seen
// only on the network): what the running Hearth saved of its last look at
// `ip neigh show`. Doctor does not read the table itself: what matters is
// whether Hearth, as its own user, can.

// neighbourStale: a last look older than this means Hearth is not looking.
const neighbourStale = 5 * time.Minute

func (d *Doctor) checkNeighbours(cfg *config.Config) {
	silent := cfg.Alerts.Events.SilentDevice > 0
	for _, o := range cfg.Alerts.For {
		if o.SilentDevice != nil && *o.SilentDevice > 0 {
			silent = true
		}
	}
	if !silent && !cfg.Alerts.Events.NewDevice {
		d.report(Finding{Status: OK, Text: "alerts: the network is not watched (silent_device and new_device off)"})
		return
	}
	st, ok, err := alerts.ReadNeighbourStatus(cfg.StateDirectory())
	now := d.clock.Now()
	switch {
	case err != nil:
		d.report(Finding{Status: Warn, Text: "alerts: the neighbour check's status cannot be read: " + err.Error(),
			Fix: "it is written again within a minute by the running Hearth"})
	case !ok || st.LastRun.IsZero():
		d.report(Finding{Status: OK, Text: "alerts: the network has not been looked at yet (Hearth looks once a minute while it runs)"})
	case !st.Readable:
		d.report(Finding{Status: Warn, Text: "alerts: the neighbour table could not be read " + ago(now, st.LastRun) + ": " + st.Error,
			Notes: []string{"devices online but silent, and new devices that never ask Hearth, are not noticed"},
			Fix:   "install iproute2 (the `ip` command) on the machine running Hearth"})
	default:
		f := Finding{Status: OK, Text: fmt.Sprintf("alerts: the neighbour table was read %s: %d device(s) heard from lately", ago(now, st.LastRun), st.Online)}
		if st.Silent {
			f.Text += fmt.Sprintf(", %d named device(s) watched for going silent", st.Watched)
		}
		if now.Sub(st.LastRun) > neighbourStale {
			f.Status = Warn
			f.Fix = "Hearth looks once a minute while it runs: is it running? (systemctl status hearth)"
		}
		d.report(f)
	}
}

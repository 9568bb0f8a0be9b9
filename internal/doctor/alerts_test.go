package doctor

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/config"
)

// TestDoctorAlerts: a channel the running Hearth could not deliver to is a
// FAIL naming it, its error and what waits; no channel is ok.
func TestDoctorAlerts(t *testing.T) {
	path, _ := writeDoctorConfig(t, doctorSetup{})
	_, out := runDoctor(t, path, nil)
	wantFinding(t, out, "ok", "alerts: off")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close() // nothing listens there now
	path, stateDir := writeDoctorConfig(t, doctorSetup{extra: "alerts:\n  webhook: {url: \"http://" + down + "/hook\"}\n"})
	cfg, _, err := config.Load(config.LoadOptions{File: path, Search: []string{}, Environ: func() []string { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktest.New(doctorNow.Add(-time.Hour))
	s, err := alerts.New(cfg.Alerts, alerts.Options{Dir: stateDir, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	s.Notify(alerts.Alert{Kind: alerts.KindUnwell, Title: "t", Text: "every upstream has failed for 5 minutes"})
	clk.WaitTimers(1, 5*time.Second) // failed once: waiting to retry
	s.Close(context.Background())
	code, out := runDoctor(t, path, nil)
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	wantFinding(t, out, "FAIL", "alerts: webhook failing since 1h ago, 1 alert(s) waiting: Post", "alerts.webhook.url")
}

// TestDoctorNeighbourCheck: what the running Hearth saved of its look at
// the neighbour table: not looked yet, read (how many heard from and
// watched, when), unreadable (a WARN saying what to install), too old.
func TestDoctorNeighbourCheck(t *testing.T) {
	path, stateDir := writeDoctorConfig(t, doctorSetup{extra: "alerts:\n  webhook: {url: \"http://127.0.0.1:1/hook\"}\n"})
	_, out := runDoctor(t, path, nil)
	wantFinding(t, out, "ok", "alerts: the network has not been looked at yet")
	save := func(st alerts.NeighbourStatus) {
		t.Helper()
		if err := alerts.SaveNeighbourStatus(stateDir, st); err != nil {
			t.Fatal(err)
		}
	}
	save(alerts.NeighbourStatus{On: true, Readable: true, Silent: true, NewDevice: true, Online: 5, Watched: 2, LastRun: doctorNow.Add(-time.Minute)})
	_, out = runDoctor(t, path, nil)
	wantFinding(t, out, "ok", "alerts: the neighbour table was read 1m ago: 5 device(s) heard from lately, 2 named device(s) watched for going silent")
	save(alerts.NeighbourStatus{On: true, Error: `silent devices: ip: exec: "ip": executable file not found in $PATH`, LastRun: doctorNow.Add(-time.Minute)})
	_, out = runDoctor(t, path, nil)
	wantFinding(t, out, "warn", "alerts: the neighbour table could not be read 1m ago: silent devices: ip:", "install iproute2")
	save(alerts.NeighbourStatus{On: true, Readable: true, Online: 5, LastRun: doctorNow.Add(-2 * time.Hour)})
	_, out = runDoctor(t, path, nil)
	wantFinding(t, out, "warn", "alerts: the neighbour table was read 2h ago", "is it running?")
}

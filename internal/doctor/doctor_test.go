package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy/state"
	"github.com/hearth-dns/hearth/policy/verdict"
	"github.com/hearth-dns/hearth/resolver"
	"github.com/hearth-dns/hearth/resolver/resolvertest"
	"github.com/hearth-dns/hearth/web"
)

// doctorNow is the doctor's clock in the tests: a Thursday after the build
// floor (doctorCodeDate).
var doctorNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// doctorSetup is a configuration for the doctor: every address on loopback,
// so that no test queries the internet.
type doctorSetup struct {
	listen    []string // default: a free loopback port
	upstreams []string // default: a dnstest server that answers
	timeout   string   // upstreams.timeout; default 1s
	extra     string   // more YAML
}

// writeDoctorConfig writes s to a file; it returns the file and the state
// directory (not created).
func writeDoctorConfig(t *testing.T, s doctorSetup) (path, stateDir string) {
	t.Helper()
	dir := t.TempDir()
	stateDir = filepath.Join(dir, "state")
	if s.listen == nil {
		s.listen = []string{freePort(t)}
	}
	if s.upstreams == nil {
		s.upstreams = []string{"udp://" + dnstest.NewServer(t).Addr}
	}
	if s.timeout == "" {
		s.timeout = "1s"
	}
	quote := func(ss []string) string {
		q := make([]string, len(ss))
		for i, x := range ss {
			q[i] = fmt.Sprintf("%q", x)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	yaml := fmt.Sprintf("listen: %s\nstate_dir: %q\ntimezone: Europe/London\nupstreams:\n  servers: %s\n  strategy: ordered\n  timeout: %s\n%s",
		quote(s.listen), stateDir, quote(s.upstreams), s.timeout, s.extra)
	path = filepath.Join(dir, "hearth.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, stateDir
}

// doctorFakes gives the doctor a set, synchronised clock at doctorNow,
// plenty of disk, and this machine's addresses.
func doctorFakes(d *Doctor) {
	d.clock = clocktest.New(doctorNow)
	d.syncProbe = func() (bool, error) { return true, nil }
	d.freeSpace = func(string) (uint64, error) { return 8 << 30, nil }
	d.hostAddrs = func() []netip.Addr {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1"), netip.MustParseAddr("192.168.1.10")}
	}
	d.probe = time.Second // generous: a busy machine must not turn a DNS server into "no answer"
	// Loopback upstreams are only slow when the machine is busy (the whole
	// suite runs at once): the "slow" case sets its own threshold.
	d.slow = 5 * time.Second
}

// runDoctor runs `hearth doctor --config path` in-process with doctorFakes,
// then adjust. It checks the report's shape: every warn and FAIL has a fix,
// no ok has one, and the summary counts the lines.
func runDoctor(t *testing.T, path string, adjust func(*Doctor)) (int, string) {
	t.Helper()
	return runDoctorEnv(t, nil, path, adjust)
}

// testWebListen keeps the dashboard's check off the real port 8080.
const testWebListen = "HEARTH_WEB_LISTEN=127.0.0.1:0"

// runDoctorEnv is runDoctor with the environment env. The exit status is
// the command's: 1 when a finding FAILed.
func runDoctorEnv(t *testing.T, env []string, path string, adjust func(*Doctor)) (int, string) {
	t.Helper()
	env = append([]string{testWebListen}, env...)
	opts := config.LoadOptions{File: path, Search: []string{}, Environ: func() []string { return env }}
	d := New("test", "unknown")
	doctorFakes(d)
	if adjust != nil {
		adjust(d)
	}
	var told []Finding
	findings := d.Run(context.Background(), opts, func(f Finding) { told = append(told, f) })
	if len(told) != len(findings) {
		t.Errorf("told of %d findings, returned %d", len(told), len(findings))
	}
	var out strings.Builder
	for _, f := range findings {
		if f.Status != OK && f.Fix == "" {
			t.Errorf("%s %q has no fix", f.Status, f.Text)
		}
		if f.Check == "" {
			t.Errorf("%s %q names no check", f.Status, f.Text)
		}
		out.WriteString(render(f))
	}
	code := 0
	if Failed(findings) {
		code = 1
	}
	return code, out.String()
}

// render writes f as `hearth doctor` prints it: "ok    text", the notes and
// the fix indented under it.
func render(f Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-4s  %s\n", f.Status, f.Text)
	for _, n := range f.Notes {
		fmt.Fprintf(&b, "      %s\n", n)
	}
	if f.Status != OK && f.Fix != "" {
		fmt.Fprintf(&b, "      fix: %s\n", strings.ReplaceAll(f.Fix, "\n", "\n           "))
	}
	return b.String()
}

// writeFile writes a configuration file and returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hearth.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// freePort is a loopback address free just now. The doctor tests stay serial
// (no t.Parallel) because of it: each configuration listens on
// a port found free here and released, which a parallel test's server could
// bind before the doctor's listen check runs.
func freePort(t *testing.T) string { return dnstest.FreeAddr(t) }

// doctorFinding is one finding in the report: its level, its title and the
// indented lines under it.
type doctorFinding struct{ level, title, body string }

func doctorFindings(out string) []doctorFinding {
	var fs []doctorFinding
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "ok    "), strings.HasPrefix(line, "warn  "), strings.HasPrefix(line, "FAIL  "):
			fs = append(fs, doctorFinding{level: strings.TrimSpace(line[:6]), title: line[6:]})
		case strings.HasPrefix(line, "      ") && len(fs) > 0:
			fs[len(fs)-1].body += "\n" + line
		}
	}
	return fs
}

// wantFinding fails unless out has a finding at level whose title contains
// every part of title, and whose lines below contain each of body.
func wantFinding(t *testing.T, out, level, title string, body ...string) doctorFinding {
	t.Helper()
	for _, f := range doctorFindings(out) {
		if f.level != level || !strings.Contains(f.title, title) {
			continue
		}
		for _, b := range body {
			if !strings.Contains(f.body, b) {
				t.Errorf("%s %q: lacks %q:\n%s", level, f.title, b, f.body)
			}
		}
		return f
	}
	t.Errorf("no %s finding with %q in:\n%s", level, title, out)
	return doctorFinding{}
}

// writeDevices adds to the state directory's device registry one unnamed
// device per address, last seen ago before doctorNow.
func writeDevices(t *testing.T, stateDir string, ago time.Duration, addrs ...string) {
	t.Helper()
	for _, a := range addrs {
		writeSeen(t, stateDir, state.SeenDevice{Key: "ip:" + a, Addr: a, LastSeen: doctorNow.Add(-ago)})
	}
}

// writeNamedDevice adds a configured device, seen an hour before doctorNow.
func writeNamedDevice(t *testing.T, stateDir, name, addr string) {
	t.Helper()
	writeSeen(t, stateDir, state.SeenDevice{Key: "ip:" + addr, Device: name, Addr: addr, LastSeen: doctorNow.Add(-time.Hour)})
}

// writeSeen adds sd to the registry in state/devices.json, kept as the
// server keeps it.
func writeSeen(t *testing.T, stateDir string, sd state.SeenDevice) {
	t.Helper()
	path := filepath.Join(stateDir, "devices.json")
	var file struct {
		Version int                `json:"version"`
		Devices []state.SeenDevice `json:"devices"`
	}
	if data, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(data, &file); err != nil {
			t.Fatal(err)
		}
	}
	sd.FirstSeen = doctorNow.Add(-30 * 24 * time.Hour)
	file.Version, file.Devices = 1, append(file.Devices, sd)
	data, err := json.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDoctorHealthy is a household where everything is right: exit 0 and
// nothing but ok.
func TestDoctorHealthy(t *testing.T) {
	path, stateDir := writeDoctorConfig(t, doctorSetup{})
	writeDevices(t, stateDir, time.Hour, "192.168.1.20", "192.168.1.21", "fd00::22")
	if err := web.SetPassword(stateDir, "family-secret-1"); err != nil {
		t.Fatal(err)
	}
	code, out := runDoctor(t, path, nil)
	if code != 0 || strings.Contains(out, "warn  ") {
		t.Fatalf("exit status %d:\n%s", code, out)
	}
	wantFinding(t, out, "ok", "dashboard password: set")
	wantFinding(t, out, "ok", "config: loaded from "+path)
	wantFinding(t, out, "ok", "free for UDP and TCP")
	wantFinding(t, out, "ok", "answered in")
	wantFinding(t, out, "ok", "clock: Thu 2026-11-26 12:00 UTC, synchronised")
	wantFinding(t, out, "ok", "timezone Europe/London: it is Thu 2026-11-26 12:00 GMT in the household now", "clock in the house")
	wantFinding(t, out, "ok", "lists: compiled from the cached copies")
	wantFinding(t, out, "ok", "journal directory "+stateDir+": writable")
	wantFinding(t, out, "ok", "disk: 8.0 GB free")
	wantFinding(t, out, "ok", "not created yet")
	wantFinding(t, out, "ok", "router: queries from 3 devices in the last 24 hours (192.168.1.20, 192.168.1.21, fd00::22)")
}

// TestDoctorFreshInstall: Hearth has not run yet, so there is no state
// directory; the doctor does not create it.
func TestDoctorFreshInstall(t *testing.T) {
	path, stateDir := writeDoctorConfig(t, doctorSetup{})
	_, out := runDoctor(t, path, nil)
	wantFinding(t, out, "ok", "journal directory "+stateDir+": not there yet; Hearth creates it ("+filepath.Dir(stateDir)+" is writable)")
	wantFinding(t, out, "ok", "journal "+filepath.Join(stateDir, "journal.db")+": not created yet")
	wantFinding(t, out, "warn", "router: no queries seen from the household", "Hearth may not have run yet")
	if _, err := os.Stat(stateDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the doctor created the state directory (%v)", err)
	}
}

// TestDoctorBadConfig lists the problems, FAILs, and still checks the clock.
func TestDoctorBadConfig(t *testing.T) {
	path := writeFile(t, "upstreams:\n  sever: [x]\ncache:\n  size: lots\n")
	code, out := runDoctor(t, path, func(d *Doctor) { d.clock = clocktest.New(time.Date(2020, 1, 4, 10, 0, 0, 0, time.UTC)) })
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	wantFinding(t, out, "FAIL", "config: cannot be loaded", "upstreams.sever", "cache.size", "fix: correct the problems above; `hearth check-config`")
	wantFinding(t, out, "FAIL", "clock: Sat 2020-01-04 10:00 UTC is before this build")
	if n := len(doctorFindings(out)); n != 2 {
		t.Errorf("%d findings, want config and clock only:\n%s", n, out)
	}
}

// TestDoctorConfigWarnings reports the loader's warnings (an unknown HEARTH_
// variable) as a warning, which does not fail.
func TestDoctorConfigWarnings(t *testing.T) {
	path, _ := writeDoctorConfig(t, doctorSetup{})
	_, out := runDoctorEnv(t, []string{"HEARTH_UPSTREAM=udp://127.0.0.1:1"}, path, nil)
	wantFinding(t, out, "warn", "config: loaded from", "HEARTH_UPSTREAM", "fix:")
}

func TestDoctorDiskFree(t *testing.T) {
	if _, err := exec.LookPath("df"); err != nil {
		t.Skip("no df here")
	}
	free, err := diskFree(t.TempDir())
	if err != nil || free == 0 {
		t.Errorf("diskFree = %d, %v", free, err)
	}
}

// runHearthDNS runs Hearth's DNS server on a loopback port and returns its
// address.
func runHearthDNS(t *testing.T) string {
	t.Helper()
	cfg, _, err := config.Load(config.LoadOptions{Search: []string{}, Environ: func() []string {
		return []string{"HEARTH_LISTEN=127.0.0.1:0", "HEARTH_UPSTREAMS_SERVERS=udp://127.0.0.1:1"}
	}})
	if err != nil {
		t.Fatal(err)
	}
	return resolvertest.Start(t, cfg.Config, resolver.Options{Logger: zerolog.Nop()}).Addrs()[0].String()
}

func TestDoctorListen(t *testing.T) {
	const ss = "find it with `sudo ss -ulpn 'sport = :"
	tests := []struct {
		name   string
		listen func(t *testing.T) string
		bind   func(network, addr string) error // nil: really bind
		level  string
		title  string
		body   []string
	}{
		{
			name:   "free",
			listen: freePort,
			level:  "ok", title: "free for UDP and TCP",
		},
		{
			name:   "any port",
			listen: func(*testing.T) string { return "127.0.0.1:0" },
			level:  "ok", title: "a free port is chosen at start",
		},
		{
			name:   "held by Hearth",
			listen: runHearthDNS,
			level:  "ok", title: "in use by Hearth (it answers there)",
		},
		{
			name:   "held by another DNS server",
			listen: func(t *testing.T) string { return dnstest.NewServer(t).Addr },
			level:  "FAIL", title: "in use by another DNS server, not Hearth",
			body: []string{"fix: stop it, or give Hearth another address; " + ss, "DNSStubListener=no", "dnsmasq"},
		},
		{
			name: "held by a DNS server that refuses",
			listen: func(t *testing.T) string {
				s := dnstest.NewServer(t)
				s.SetMode(dnstest.Refused)
				return s.Addr
			},
			level: "FAIL", title: "in use by a DNS server that refuses this machine",
			body: []string{"allow_clients"},
		},
		{
			name: "held by something else",
			listen: func(t *testing.T) string {
				ln, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { ln.Close() })
				return ln.Addr().String()
			},
			level: "FAIL", title: "in use by a program that does not answer DNS (TCP:",
			body: []string{ss},
		},
		{
			name: "no such address",
			listen: func(t *testing.T) string {
				const addr = "203.0.113.254:5353" // TEST-NET-3
				if pc, err := net.ListenPacket("udp", addr); err == nil {
					pc.Close()
					t.Skipf("this machine has the address %s", addr)
				}
				return addr
			},
			level: "FAIL", title: "this machine has no address 203.0.113.254",
			body: []string{"listen on one of this machine's addresses (192.168.1.10), or on \":5353\""},
		},
		{
			name: "permission denied",
			listen: func(t *testing.T) string {
				pc, err := net.ListenPacket("udp", "127.0.0.1:1")
				if err == nil {
					pc.Close()
					t.Skip("this process may bind ports below 1024 (root, or a lowered ip_unprivileged_port_start): the injected case covers it")
				}
				return "127.0.0.1:1"
			},
			level: "FAIL", title: "permission denied, and nothing answers DNS there",
			body: []string{"setcap cap_net_bind_service=+ep", "AmbientCapabilities=CAP_NET_BIND_SERVICE", "a port above 1023"},
		},
		{
			name:   "permission denied (injected)",
			listen: func(*testing.T) string { return "127.0.0.1:1" },
			bind: func(string, string) error {
				return &net.OpError{Op: "listen", Net: "udp", Err: os.NewSyscallError("bind", syscall.EACCES)}
			},
			level: "FAIL", title: "permission denied, and nothing answers DNS there",
			body: []string{"setcap cap_net_bind_service=+ep", "AmbientCapabilities=CAP_NET_BIND_SERVICE", "a port above 1023"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := tt.listen(t)
			path, stateDir := writeDoctorConfig(t, doctorSetup{listen: []string{addr}})
			writeDevices(t, stateDir, time.Hour, "192.168.1.20", "192.168.1.21")
			_, out := runDoctor(t, path, func(d *Doctor) {
				if tt.bind != nil {
					d.bind = tt.bind
				}
			})
			f := wantFinding(t, out, tt.level, "listen "+addr+": "+tt.title, tt.body...)
			if f.level != "" {
				t.Logf("%s  %s%s", f.level, f.title, f.body)
			}
		})
	}
}

func TestDoctorUpstreams(t *testing.T) {
	ca := dnstest.NewCA(t)
	type want struct{ level, title, then string } // then: later in the title
	tests := []struct {
		name    string
		servers func(t *testing.T) []string
		timeout string
		slow    time.Duration // the doctor's threshold, if not doctorFakes'
		want    []want
	}{
		{
			name:    "up",
			servers: func(t *testing.T) []string { return []string{"udp://" + dnstest.NewServer(t).Addr} },
			want:    []want{{"ok", ": answered in", ""}},
		},
		{
			name: "up over TCP, DoT and DoH",
			servers: func(t *testing.T) []string {
				return []string{"tcp://" + dnstest.NewServer(t).Addr, "tls://" + dnstest.NewDoT(t, ca).Addr, dnstest.NewDoH(t, ca).URL}
			},
			want: []want{{"ok", ": answered in", ""}, {"ok", ": answered in", ""}, {"ok", ": answered in", ""}},
		},
		{
			name: "down",
			servers: func(t *testing.T) []string {
				s := dnstest.NewServer(t)
				s.SetMode(dnstest.Drop)
				return []string{"udp://" + s.Addr}
			},
			timeout: "300ms",
			want:    []want{{"FAIL", ": no answer within 300ms", ""}},
		},
		{
			name: "one of two down",
			servers: func(t *testing.T) []string {
				s := dnstest.NewServer(t)
				s.SetMode(dnstest.Drop)
				return []string{"udp://" + s.Addr, "udp://" + dnstest.NewServer(t).Addr}
			},
			timeout: "300ms",
			want:    []want{{"warn", ": no answer within 300ms", ""}, {"ok", ": answered in", ""}},
		},
		{
			name: "slow",
			servers: func(t *testing.T) []string {
				s := dnstest.NewServer(t)
				s.SetDelay(700 * time.Millisecond)
				return []string{"udp://" + s.Addr}
			},
			timeout: "2s",
			slow:    doctorSlowUpstream,
			want:    []want{{"warn", ": answered in 7", ": slow, over 500 ms"}}, // a busy machine may add "(the first time, ...)"
		},
		{
			name: "SERVFAIL",
			servers: func(t *testing.T) []string {
				s := dnstest.NewServer(t)
				s.SetMode(dnstest.ServFail)
				return []string{"udp://" + s.Addr}
			},
			want: []want{{"FAIL", ": answered SERVFAIL for example.com", ""}},
		},
		{
			name: "REFUSED",
			servers: func(t *testing.T) []string {
				s := dnstest.NewServer(t)
				s.SetMode(dnstest.Refused)
				return []string{"udp://" + s.Addr}
			},
			want: []want{{"FAIL", ": refused to answer example.com", ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			servers := tt.servers(t)
			path, stateDir := writeDoctorConfig(t, doctorSetup{upstreams: servers, timeout: tt.timeout})
			writeDevices(t, stateDir, time.Hour, "192.168.1.20", "192.168.1.21")
			_, out := runDoctor(t, path, func(d *Doctor) {
				d.rootCAs = ca.Pool
				if tt.slow > 0 {
					d.slow = tt.slow
				}
			})
			for i, w := range tt.want {
				f := wantFinding(t, out, w.level, "upstream "+servers[i]+w.title)
				if !strings.Contains(f.title, w.then) {
					t.Errorf("%q lacks %q", f.title, w.then)
				}
				t.Logf("%s  %s%s", f.level, f.title, f.body)
			}
		})
	}
}

func TestDoctorClock(t *testing.T) {
	tests := []struct {
		name        string
		now         time.Time
		synced      bool
		err         error
		level, line string
	}{
		{"unset", time.Date(2020, 1, 4, 10, 0, 0, 0, time.UTC), true, nil,
			"FAIL", "clock: Sat 2020-01-04 10:00 UTC is before this build of Hearth (2026-11-01): the clock looks unset"},
		{"just before the build", doctorCodeDate.Add(-time.Minute), true, nil, "FAIL", "the clock looks unset"},
		{"not synchronised", doctorNow, false, nil, "warn", "clock: Thu 2026-11-26 12:00 UTC, not synchronised with a time server"},
		{"cannot tell", doctorNow, false, errSyncUnknown, "warn", "but cannot tell whether it is synchronised (neither timedatectl"},
		{"fine", doctorNow, true, nil, "ok", "clock: Thu 2026-11-26 12:00 UTC, synchronised"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, stateDir := writeDoctorConfig(t, doctorSetup{})
			writeDevices(t, stateDir, time.Hour, "192.168.1.20", "192.168.1.21")
			_, out := runDoctor(t, path, func(d *Doctor) {
				d.clock = clocktest.New(tt.now)
				d.syncProbe = func() (bool, error) { return tt.synced, tt.err }
			})
			var body []string
			if tt.level != "ok" {
				body = []string{"timedatectl set-ntp true", "chrony"}
			}
			wantFinding(t, out, tt.level, tt.line, body...)
		})
	}
}

func TestDoctorBuildFloor(t *testing.T) {
	tests := []struct {
		stamp string
		want  time.Time
	}{
		{"unknown", doctorCodeDate},
		{"", doctorCodeDate},
		{"2026-12-05T10:30:00Z", time.Date(2026, 12, 5, 10, 30, 0, 0, time.UTC)},
		{"2027-01-02", time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"2025-06-01T00:00:00Z", doctorCodeDate}, // before this code: not believed
	}
	for _, tt := range tests {
		if got := buildFloor(tt.stamp); !got.Equal(tt.want) {
			t.Errorf("buildFloor(%q) = %v, want %v", tt.stamp, got, tt.want)
		}
	}
}

func TestDoctorLists(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		fmt.Fprint(w, "||ads.example^\n0.0.0.0 tracker.example\n")
	}))
	t.Cleanup(srv.Close)
	lists := fmt.Sprintf("lists:\n  refresh: 24h\n  sources:\n    - {name: web, category: ads, url: %q}\n    - {name: mine, category: ads, domains: [mine.example]}\n", srv.URL+"/list.txt")
	path, stateDir := writeDoctorConfig(t, doctorSetup{extra: lists})
	writeDevices(t, stateDir, time.Hour, "192.168.1.20", "192.168.1.21")

	// Never downloaded, and the doctor does not download it.
	code, out := runDoctor(t, path, nil)
	if code != 0 {
		t.Errorf("exit status %d, want 0 (warnings only)", code)
	}
	wantFinding(t, out, "warn", "list web: never downloaded", "fix: `hearth lists update`", "internet")
	wantFinding(t, out, "ok", "list mine: 1 entry")
	if n := requests.Load(); n != 0 {
		t.Fatalf("the doctor sent %d requests to the list server", n)
	}

	// Downloaded now: fresh an hour later, stale four days later (3 x 24h).
	// As `hearth lists update` does.
	cfg, _, err := config.Load(config.LoadOptions{File: path, Search: []string{}, Environ: func() []string { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := blocklists.New(cfg.Lists, blocklists.Options{Logger: zerolog.Nop(), Dir: cfg.ListsDir(), Catalogue: blocklists.Builtin(),
		Categories: cfg.Policy.Categories(blocklists.Builtin())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ls.Refresh(context.Background()); err != nil {
		t.Fatalf("lists update: %v", err)
	}
	fetched := time.Now()
	_, out = runDoctor(t, path, func(d *Doctor) { d.clock = clocktest.New(fetched.Add(time.Hour)) })
	wantFinding(t, out, "ok", "list web: 2 entries, updated 1h ago")
	_, out = runDoctor(t, path, func(d *Doctor) { d.clock = clocktest.New(fetched.Add(4 * 24 * time.Hour)) })
	wantFinding(t, out, "warn", "list web: last confirmed 4d ago, more than 3 x lists.refresh (72h0m0s)", "check that it runs")
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests to the list server, want the one of lists update", n)
	}
}

func TestDoctorJournal(t *testing.T) {
	t.Run("directory under a regular file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "plain")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		jpath := filepath.Join(file, "sub", "journal.db")
		path, _ := writeDoctorConfig(t, doctorSetup{extra: fmt.Sprintf("journal: {path: %q}\n", jpath)})
		code, out := runDoctor(t, path, nil)
		if code != 1 {
			t.Errorf("exit status %d, want 1", code)
		}
		wantFinding(t, out, "FAIL", "journal directory "+filepath.Dir(jpath)+": ", "fix:")
	})
	t.Run("low disk", func(t *testing.T) {
		path, _ := writeDoctorConfig(t, doctorSetup{})
		_, out := runDoctor(t, path, func(d *Doctor) { d.freeSpace = func(string) (uint64, error) { return 60 << 20, nil } })
		wantFinding(t, out, "warn", "disk: only 60 MB free for the journal", "df -h", "journal.max_size_mb (200 MB)")
	})
	t.Run("writable, database opens", func(t *testing.T) {
		path, stateDir := writeDoctorConfig(t, doctorSetup{})
		recordLookups(t, stateDir, "", "192.168.1.20")
		_, out := runDoctor(t, path, nil)
		wantFinding(t, out, "ok", "journal directory "+stateDir+": writable")
		wantFinding(t, out, "ok", "journal "+filepath.Join(stateDir, "journal.db")+": opens")
		entries, err := os.ReadDir(stateDir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".hearth-doctor") {
				t.Errorf("left behind %s", e.Name())
			}
		}
	})
	t.Run("damaged database", func(t *testing.T) {
		path, stateDir := writeDoctorConfig(t, doctorSetup{})
		if err := os.MkdirAll(stateDir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(stateDir, "journal.db"), []byte("not a database"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, out := runDoctor(t, path, nil)
		wantFinding(t, out, "warn", "journal "+filepath.Join(stateDir, "journal.db")+": ", "set aside")
	})
	t.Run("off", func(t *testing.T) {
		path, _ := writeDoctorConfig(t, doctorSetup{extra: "journal: {enabled: false}\n"})
		_, out := runDoctor(t, path, nil)
		wantFinding(t, out, "ok", "journal: off (journal.enabled: false)")
	})
}

// recordLookups writes a journal in the state directory with one blocked
// lookup from each client (of device, "" for unknown) an hour before
// doctorNow.
func recordLookups(t *testing.T, stateDir, device string, clients ...string) {
	t.Helper()
	j := journal.Open(journal.Config{RetentionDays: 60, MaxSizeMB: 10, Queue: 1000, FlushInterval: 100 * time.Millisecond},
		journal.Options{Dir: stateDir, Clock: clocktest.New(doctorNow)})
	for _, c := range clients {
		j.Record(journal.Event{Time: doctorNow.Add(-time.Hour), Device: device, Client: netip.MustParseAddr(c), Group: "default",
			Name: "ads.example", Qtype: 1, Action: journal.ActionBlock, Reason: verdict.ReasonRule, Rule: "blocking.block", Response: "nxdomain"})
	}
	if err := j.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestDoctorRouter(t *testing.T) {
	const fix = "fix: set the router's DHCP DNS server to this machine's address (192.168.1.10)"
	tests := []struct {
		name        string
		setup       func(t *testing.T, stateDir string)
		level, line string
	}{
		{
			name:  "nothing seen",
			setup: func(*testing.T, string) {},
			level: "warn", line: "router: no queries seen from the household in the last 24 hours",
		},
		{
			name:  "one address",
			setup: func(t *testing.T, stateDir string) { writeDevices(t, stateDir, time.Hour, "192.168.1.20") },
			level: "warn", line: "router: queries from only one device in the last 24 hours (192.168.1.20)",
		},
		{
			name: "only this machine",
			setup: func(t *testing.T, stateDir string) {
				writeDevices(t, stateDir, time.Hour, "127.0.0.1", "192.168.1.10", "::1")
			},
			level: "warn", line: "router: queries only from this machine in the last 24 hours",
		},
		{
			name: "three, two of them long ago",
			setup: func(t *testing.T, stateDir string) {
				writeDevices(t, stateDir, time.Hour, "192.168.1.20")
				writeDevices(t, stateDir, 25*time.Hour, "192.168.1.21", "192.168.1.22")
			},
			level: "warn", line: "router: queries from only one device in the last 24 hours (192.168.1.20)",
		},
		{
			name: "three in the last day",
			setup: func(t *testing.T, stateDir string) {
				writeDevices(t, stateDir, time.Hour, "192.168.1.22", "192.168.1.20", "192.168.1.10")
				writeDevices(t, stateDir, 23*time.Hour, "192.168.1.21")
			},
			level: "ok", line: "router: queries from 3 devices in the last 24 hours (192.168.1.20, 192.168.1.21, 192.168.1.22)",
		},
		{
			name:  "two clients in the journal",
			setup: func(t *testing.T, stateDir string) { recordLookups(t, stateDir, "", "192.168.1.30", "192.168.1.31") },
			level: "ok", line: "router: queries from 2 devices in the last 24 hours (192.168.1.30, 192.168.1.31)",
		},
		{
			name: "one named device over IPv4 and IPv6",
			setup: func(t *testing.T, stateDir string) {
				recordLookups(t, stateDir, "alex-tablet", "192.168.1.20", "fd00::20")
				writeNamedDevice(t, stateDir, "alex-tablet", "192.168.1.20")
			},
			level: "warn", line: "router: queries from only one device in the last 24 hours (alex-tablet)",
		},
		{
			name: "named devices and addresses",
			setup: func(t *testing.T, stateDir string) {
				recordLookups(t, stateDir, "sam-switch", "192.168.1.40")
				writeNamedDevice(t, stateDir, "alex-tablet", "192.168.1.20")
				writeDevices(t, stateDir, time.Hour, "192.168.1.100", "192.168.1.9")
			},
			level: "ok", line: "router: queries from 4 devices in the last 24 hours (alex-tablet, sam-switch, 192.168.1.9, 192.168.1.100)",
		},
		{
			name: "damaged registry is left alone",
			setup: func(t *testing.T, stateDir string) {
				if err := os.MkdirAll(stateDir, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(stateDir, "devices.json"), []byte("{not json"), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			level: "warn", line: "router: no queries seen",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, stateDir := writeDoctorConfig(t, doctorSetup{})
			tt.setup(t, stateDir)
			_, out := runDoctor(t, path, nil)
			var body []string
			if tt.level == "warn" {
				body = []string{fix, "IPv6", "router advertisements"}
			}
			wantFinding(t, out, tt.level, tt.line, body...)
		})
	}
	// The damaged registry is still there, not set aside.
	path, stateDir := writeDoctorConfig(t, doctorSetup{})
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	reg := filepath.Join(stateDir, "devices.json")
	if err := os.WriteFile(reg, []byte("[]"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, out := runDoctor(t, path, nil)
	wantFinding(t, out, "warn", "router: no queries seen", "devices.json cannot be parsed")
	if data, err := os.ReadFile(reg); err != nil || string(data) != "[]" {
		t.Errorf("devices.json = %q, %v; want it left as it was", data, err)
	}
}

// TestDoctorDashboard: the dashboard's port free, held by Hearth's
// dashboard, or by another program; its password unset or damaged.
func TestDoctorDashboard(t *testing.T) {
	path, stateDir := writeDoctorConfig(t, doctorSetup{})
	free := freePort(t)
	code, out := runDoctorEnv(t, []string{"HEARTH_WEB_LISTEN=" + free}, path, nil)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	wantFinding(t, out, "ok", "dashboard "+free+": free", "parents open http://")
	wantFinding(t, out, "warn", "dashboard password: not set", "sudo hearth passwd")

	dash := web.New(web.Options{Config: web.Config{Enabled: true, Listen: "127.0.0.1:0", SessionTTL: time.Hour},
		AllowClients: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Version: "test", Logger: zerolog.Nop()})
	if err := dash.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dash.Shutdown(context.Background()) })
	held := dash.Addr().String()
	_, out = runDoctorEnv(t, []string{"HEARTH_WEB_LISTEN=" + held}, path, nil)
	wantFinding(t, out, "ok", "dashboard "+held+": in use by Hearth's dashboard")

	other := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(other.Close)
	taken := other.Listener.Addr().String()
	code, out = runDoctorEnv(t, []string{"HEARTH_WEB_LISTEN=" + taken}, path, nil)
	if code != 1 {
		t.Errorf("port taken by another program: exit %d, want 1", code)
	}
	wantFinding(t, out, "FAIL", "dashboard "+taken+": in use by another program", "set web.listen to a free port")

	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stateDir, web.AdminFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, out = runDoctorEnv(t, []string{"HEARTH_WEB_LISTEN=" + free}, path, nil)
	wantFinding(t, out, "FAIL", "dashboard password:", "set it again with `sudo hearth passwd`")
}

// TestDoctorDashboardTLS: with web.tls.self_signed the doctor says the
// certificate is made at start, then shows the running dashboard's
// fingerprint and finds the dashboard over HTTPS.
func TestDoctorDashboardTLS(t *testing.T) {
	path, stateDir := writeDoctorConfig(t, doctorSetup{extra: "web:\n  tls:\n    self_signed: true\n"})
	_, out := runDoctor(t, path, nil)
	wantFinding(t, out, "ok", "dashboard TLS: self-signed, made when Hearth next starts")

	dash := web.New(web.Options{Config: web.Config{Enabled: true, Listen: "127.0.0.1:0", SessionTTL: time.Hour,
		TLS: web.TLSConfig{SelfSigned: true}}, StateDir: stateDir, Clock: clocktest.New(doctorNow),
		AllowClients: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Version: "test", Logger: zerolog.Nop()})
	if err := dash.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dash.Shutdown(context.Background()) })
	held := dash.Addr().String()
	_, out = runDoctorEnv(t, []string{"HEARTH_WEB_LISTEN=" + held}, path, nil)
	wantFinding(t, out, "ok", "dashboard "+held+": in use by Hearth's dashboard")
	wantFinding(t, out, "ok", "dashboard TLS: certificate SHA-256 "+dash.Fingerprint(), "self-signed", "hearth.lan", "127.0.0.1")

	// Off: said so, with how to turn it on.
	path, _ = writeDoctorConfig(t, doctorSetup{})
	_, out = runDoctor(t, path, nil)
	wantFinding(t, out, "ok", "dashboard TLS: off", "web.tls.self_signed")
}

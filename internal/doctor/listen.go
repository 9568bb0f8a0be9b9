package doctor

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/web"
)

// 2. The listen addresses.

// holder is what answers on a port the doctor cannot bind.
type holder int

const (
	heldByNobody   holder = iota // no DNS answer: not a DNS server, or nothing
	heldByHearth                 // answers ANY as Hearth does (RFC 8482 HINFO)
	heldByResolved               // systemd-resolved's stub listener answers on 127.0.0.53
	heldByRefusal                // a DNS server that refuses this machine
	heldByOther                  // another DNS server
)

func (d *Doctor) checkListen(ctx context.Context, cfg *config.Config) {
	for _, addr := range cfg.Listen {
		d.report(d.listenFinding(ctx, addr))
	}
}

func (d *Doctor) listenFinding(ctx context.Context, addr string) Finding {
	title := "listen " + addr
	host, port, _ := net.SplitHostPort(addr) // validated by config.Load
	if port == "0" {
		return Finding{Status: OK, Text: title + ": a free port is chosen at start"}
	}
	var bindErr error
	for _, network := range []string{"udp", "tcp"} {
		if err := d.bind(network, addr); err != nil && bindErr == nil {
			bindErr = fmt.Errorf("%s: %w", strings.ToUpper(network), err)
		}
	}
	if bindErr == nil {
		return Finding{Status: OK, Text: title + ": free for UDP and TCP"}
	}
	inUse, denied := errors.Is(bindErr, syscall.EADDRINUSE), errors.Is(bindErr, syscall.EACCES)
	if errors.Is(bindErr, syscall.EADDRNOTAVAIL) {
		return Finding{Status: Fail, Text: title + ": this machine has no address " + host,
			Fix: fmt.Sprintf("listen on one of this machine's addresses (%s), or on \":%s\" for all of them; "+
				"give this machine a fixed address on the router (a DHCP reservation) so that it keeps it",
				addrList(d.lanIPv4()), port)}
	}
	if !inUse && !denied {
		return Finding{Status: Fail, Text: fmt.Sprintf("%s: cannot listen (%v)", title, bindErr),
			Fix: "check the address in listen: in hearth.yaml"}
	}
	find := fmt.Sprintf("find it with `sudo ss -ulpn 'sport = :%s'` and `sudo ss -tlpn 'sport = :%s'`", port, port)
	switch d.whoHolds(ctx, host, port) {
	case heldByHearth:
		return Finding{Status: OK, Text: title + ": in use by Hearth (it answers there)"}
	case heldByResolved:
		return Finding{Status: Fail, Text: title + ": in use by systemd-resolved's stub listener (127.0.0.53:53)",
			Fix: "set DNSStubListener=no in /etc/systemd/resolved.conf (or a file in /etc/systemd/resolved.conf.d/), " +
				"then `sudo systemctl restart systemd-resolved`;\n" +
				"or listen only on this machine's network address, e.g. " + listenExample(d.lanIPv4(), port)}
	case heldByRefusal:
		return Finding{Status: Fail, Text: title + ": in use by a DNS server that refuses this machine",
			Fix: "if it is Hearth, add 127.0.0.0/8 to allow_clients so that it can be checked; otherwise stop that server or " +
				"choose another address for Hearth (" + find + ")"}
	case heldByOther:
		return Finding{Status: Fail, Text: title + ": in use by another DNS server, not Hearth",
			Fix: "stop it, or give Hearth another address; " + find + ".\n" +
				"Usually it is systemd-resolved (set DNSStubListener=no in /etc/systemd/resolved.conf and restart it), " +
				"dnsmasq (`sudo systemctl disable --now dnsmasq`) or Pi-hole"}
	}
	if denied {
		return Finding{Status: Fail, Text: fmt.Sprintf("%s: permission denied, and nothing answers DNS there", title),
			Fix: "ports below 1024 need a privilege: run Hearth from its systemd unit (AmbientCapabilities=CAP_NET_BIND_SERVICE), " +
				"or grant it once with `sudo setcap cap_net_bind_service=+ep $(command -v hearth)`, " +
				"or listen on a port above 1023; `sudo hearth doctor` tests the port itself"}
	}
	return Finding{Status: Fail, Text: fmt.Sprintf("%s: in use by a program that does not answer DNS (%v)", title, bindErr),
		Fix: "stop that program or give Hearth another address; " + find}
}

// whoHolds asks what holds host:port: an ANY query for localhost, which
// Hearth answers itself with RFC 8482's HINFO. For a wildcard address on port
// 53 with no answer from 127.0.0.1, systemd-resolved's stub is asked too.
func (d *Doctor) whoHolds(ctx context.Context, host, port string) holder {
	target := host
	wildcard := host == ""
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
		wildcard = true
	}
	if wildcard {
		target = "127.0.0.1"
	}
	r := d.askDNS(ctx, net.JoinHostPort(target, port), "localhost.", dns.TypeANY)
	switch {
	case r != nil && isHearthANY(r):
		return heldByHearth
	case target == "127.0.0.53" && r != nil:
		return heldByResolved
	case r != nil && r.Rcode == dns.RcodeRefused:
		return heldByRefusal
	case r != nil:
		return heldByOther
	case wildcard && port == "53":
		if d.askDNS(ctx, "127.0.0.53:53", "localhost.", dns.TypeA) != nil {
			return heldByResolved
		}
	}
	return heldByNobody
}

// askDNS sends one query to addr over UDP, then TCP, and returns the first
// reply, or nil.
func (d *Doctor) askDNS(ctx context.Context, addr, name string, qtype uint16) *dns.Msg {
	for _, network := range []string{"udp", "tcp"} {
		c := &dns.Client{Net: network, Timeout: d.probe}
		q := new(dns.Msg).SetQuestion(name, qtype)
		q.SetEdns0(1232, false)
		if r, _, err := c.ExchangeContext(ctx, q, addr); err == nil {
			return r
		}
	}
	return nil
}

func isHearthANY(r *dns.Msg) bool {
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		return false
	}
	h, ok := r.Answer[0].(*dns.HINFO)
	return ok && h.Cpu == "RFC8482"
}

// 2b. The dashboard's port and password.

func (d *Doctor) checkWeb(ctx context.Context, cfg *config.Config) {
	if !cfg.Web.Enabled {
		d.report(Finding{Status: OK, Text: "dashboard: off (web.enabled: false)"})
		return
	}
	addr := cfg.Web.Listen
	title := "dashboard " + addr
	host, port, _ := net.SplitHostPort(addr) // validated by config.Load
	scheme := "http"
	if cfg.Web.TLS.Enabled() {
		scheme = "https"
	}
	switch err := d.bind("tcp", addr); {
	case port == "0":
		d.report(Finding{Status: OK, Text: title + ": a free port is chosen at start"})
	case err == nil:
		at := "THIS-MACHINE"
		if ips := d.lanIPv4(); len(ips) > 0 {
			at = ips[0].String()
		}
		d.report(Finding{Status: OK, Text: title + ": free",
			Notes: []string{"parents open " + scheme + "://" + net.JoinHostPort(at, port) + "/ on the home network"}})
	case d.hearthDashboard(ctx, scheme, host, port):
		d.report(Finding{Status: OK, Text: title + ": in use by Hearth's dashboard (it answers there)"})
	default:
		d.report(Finding{Status: Fail, Text: fmt.Sprintf("%s: in use by another program (%v)", title, err),
			Fix: fmt.Sprintf("Hearth answers DNS without its dashboard then; set web.listen to a free port (e.g. \":8081\") "+
				"or stop that program (Pi-hole's and AdGuard Home's pages often use 80 or 8080): `sudo ss -tlpn 'sport = :%s'` finds it", port)})
	}
	auth := web.NewAuth(cfg.StateDirectory(), d.clock, time.Hour)
	switch {
	case auth.Problem() != nil:
		d.report(Finding{Status: Fail, Text: fmt.Sprintf("dashboard password: %v", auth.Problem()),
			Fix: "set it again with `sudo hearth passwd`"})
	case !auth.PasswordSet():
		d.reportSetup(cfg, scheme, port)
	default:
		d.report(Finding{Status: OK, Text: "dashboard password: set"})
	}
	d.checkWebTLS(cfg)
}

// reportSetup reports that no password is set, with the setup code that
// Hearth made at its start (state_dir/setup-code) for first start in the
// browser.
func (d *Doctor) reportSetup(cfg *config.Config, scheme, port string) {
	at := "THIS-MACHINE"
	if ips := d.lanIPv4(); len(ips) > 0 {
		at = ips[0].String()
	}
	url := scheme + "://" + net.JoinHostPort(at, port) + "/setup"
	code, err := web.ReadSetupCode(cfg.StateDirectory())
	switch {
	case err == nil:
		d.report(Finding{Status: Warn, Text: "dashboard password: not set; setup code " + code,
			Notes: []string{"open " + url + " and type the code to set the password and the first rules (it works once)"},
			Fix:   "finish setup in the browser with the code, or run `sudo hearth passwd`"})
	case errors.Is(err, web.ErrNoSetupCode):
		d.report(Finding{Status: Warn, Text: "dashboard password: not set, and no setup code yet",
			Notes: []string{"Hearth makes a setup code when it starts without a password; open " + url + " with it"},
			Fix:   "start (or restart) Hearth and run `hearth doctor` again for the code, or run `sudo hearth passwd`"})
	default:
		d.report(Finding{Status: Warn, Text: fmt.Sprintf("dashboard password: not set; the setup code cannot be read (%v)", err),
			Fix: "run `hearth doctor` with sudo, restart Hearth for a new code, or run `sudo hearth passwd`"})
	}
}

// checkWebTLS reports the dashboard's certificate: its SHA-256 fingerprint
// (for a parent to compare with what the browser shows) and its end.
func (d *Doctor) checkWebTLS(cfg *config.Config) {
	if !cfg.Web.TLS.Enabled() {
		d.report(Finding{Status: OK, Text: "dashboard TLS: off (plain HTTP on the home network)",
			Notes: []string{"web.tls.self_signed: true serves HTTPS with a certificate Hearth makes itself"}})
		return
	}
	info, err := web.DashboardCertificate(cfg.Web, cfg.StateDirectory())
	switch {
	case errors.Is(err, web.ErrNoCertificateYet):
		d.report(Finding{Status: OK, Text: "dashboard TLS: self-signed, made when Hearth next starts",
			Notes: []string{"run `hearth doctor` again after the start to see its fingerprint"}})
		return
	case err != nil:
		d.report(Finding{Status: Fail, Text: fmt.Sprintf("dashboard TLS: %v", err),
			Fix: "set web.tls.cert_file and key_file to a readable PEM certificate and key, or use web.tls.self_signed: true"})
		return
	}
	f := Finding{Status: OK, Text: "dashboard TLS: certificate SHA-256 " + info.Fingerprint,
		Notes: []string{
			info.Source + ", valid until " + info.NotAfter.Format("2 Jan 2006"),
			"for " + strings.Join(info.Names, ", "),
			"the browser shows this fingerprint for the dashboard's certificate (padlock or warning > certificate): if it differs, something else answers in Hearth's place",
		}}
	switch left := info.NotAfter.Sub(d.clock.Now()); {
	case left <= 0:
		f.Status, f.Fix = Fail, "the certificate has expired: renew it (a self-signed one is made again when Hearth starts)"
	case left < 14*24*time.Hour && !cfg.Web.TLS.SelfSigned:
		f.Status, f.Fix = Warn, "the certificate ends within two weeks: renew web.tls.cert_file (Hearth picks the new one up within a minute)"
	}
	d.report(f)
}

// hearthDashboard reports whether Hearth's dashboard answers on host:port.
// Over HTTPS the certificate is not checked: this only asks who answers.
func (d *Doctor) hearthDashboard(ctx context.Context, scheme, host, port string) bool {
	if ip, err := netip.ParseAddr(host); host == "" || err == nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, d.probe)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", scheme+"://"+net.JoinHostPort(host, port)+"/api/health", nil)
	if err != nil {
		return false
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var health struct{ Status, Version string }
	return json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&health) == nil && health.Status == "ok" && health.Version != ""
}

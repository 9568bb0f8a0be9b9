package doctor

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/internal/tlscert"
)

// certWarnAhead: a certificate ending this soon is a warning.
const certWarnAhead = 14 * 24 * time.Hour

// checkEncryptedDNS reports the DNS-over-TLS/HTTPS listeners' certificate:
// what it is good for and when it ends (a warning 14 days ahead). Nothing
// is said when no encrypted listener is configured.
func (d *Doctor) checkEncryptedDNS(cfg *config.Config) {
	if len(cfg.ListenTLS)+len(cfg.ListenHTTPS) == 0 {
		return
	}
	t := cfg.TLS
	info, err := tlscert.Read(tlscert.Config{CertFile: t.CertFile, KeyFile: t.KeyFile, SelfSigned: t.SelfSigned}, cfg.StateDirectory())
	defer func() { // after the certificate: whether each address is free, or Hearth's
		for _, a := range cfg.ListenTLS {
			d.report(d.encryptedPortFinding("listen_tls", a, info.NotAfter))
		}
		for _, a := range cfg.ListenHTTPS {
			d.report(d.encryptedPortFinding("listen_https", a, info.NotAfter))
		}
	}()
	switch {
	case errors.Is(err, tlscert.ErrNotMadeYet):
		d.report(Finding{Status: OK, Text: "encrypted DNS certificate: Hearth's own, made when Hearth next starts",
			Notes: []string{"devices must trust " + tlscert.CACertPath(cfg.StateDirectory()) + " once it is made (docs/encrypted-dns.md)"}})
		return
	case err != nil:
		d.report(Finding{Status: Fail, Text: fmt.Sprintf("encrypted DNS certificate: %v", err),
			Fix: "set tls.cert_file and tls.key_file to a readable PEM certificate and key, or use tls.self_signed: true with tls.names"})
		return
	}
	src := info.Path
	if t.SelfSigned {
		src = "signed by Hearth's local CA (" + tlscert.CACertPath(cfg.StateDirectory()) + ")"
	}
	f := Finding{Status: OK, Text: "encrypted DNS certificate: valid until " + info.NotAfter.Format("2 Jan 2006"),
		Notes: []string{src, "for " + strings.Join(info.Names, ", ")}}
	if len(t.Names) > 0 {
		f.Notes = append(f.Notes, "a device names itself as DEVICE."+strings.TrimSuffix(t.Names[0], ".")+" (Android Private DNS, DoT) or https://"+
			strings.TrimSuffix(t.Names[0], ".")+"/dns-query/DEVICE (DoH)")
	}
	switch left := info.NotAfter.Sub(d.clock.Now()); {
	case left <= 0:
		f.Status, f.Fix = Fail, "the certificate has expired: devices using encrypted DNS cannot resolve; renew tls.cert_file (or restart Hearth for its own)"
	case left < certWarnAhead && t.SelfSigned:
		f.Status, f.Fix = Warn, "the certificate ends within two weeks and Hearth makes its own again 30 days ahead: restart Hearth"
	case left < certWarnAhead:
		f.Status, f.Fix = Warn, fmt.Sprintf("the certificate ends in %d days: renew tls.cert_file (Hearth picks the new one up within a minute)", int(left.Hours()/24))
	}
	d.report(f)
}

// encryptedPortFinding says whether an encrypted listen address is free,
// or held by Hearth (a TLS server there serves the certificate Hearth's
// configuration does, ending at notAfter), or by another program.
func (d *Doctor) encryptedPortFinding(key, addr string, notAfter time.Time) Finding {
	title := key + " " + addr
	host, port, _ := net.SplitHostPort(addr)
	if port == "0" {
		return Finding{Status: OK, Text: title + ": a free port is chosen at start"}
	}
	err := d.bind("tcp", addr)
	switch {
	case err == nil:
		return Finding{Status: OK, Text: title + ": free"}
	case errors.Is(err, syscall.EACCES):
		return Finding{Status: Fail, Text: title + ": permission denied (ports below 1024 need a privilege)",
			Fix: "grant it once with `sudo setcap cap_net_bind_service=+ep $(command -v hearth)` (the systemd unit in deploy/ does this)"}
	case !errors.Is(err, syscall.EADDRINUSE):
		return Finding{Status: Fail, Text: fmt.Sprintf("%s: cannot listen (%v)", title, err), Fix: "check " + key + " in hearth.yaml"}
	}
	if ip, err := netip.ParseAddr(host); host == "" || err == nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: d.probe}, "tcp", net.JoinHostPort(host, port), &tls.Config{InsecureSkipVerify: true})
	if err == nil {
		leaf := conn.ConnectionState().PeerCertificates[0]
		conn.Close()
		if !notAfter.IsZero() && leaf.NotAfter.Equal(notAfter) {
			return Finding{Status: OK, Text: title + ": in use by Hearth (it serves Hearth's certificate there)"}
		}
	}
	return Finding{Status: Fail, Text: title + ": in use by another program",
		Fix: fmt.Sprintf("find it with `sudo ss -tlpn 'sport = :%s'` (often a web server on 443); stop it or choose another port for %s", port, key)}
}

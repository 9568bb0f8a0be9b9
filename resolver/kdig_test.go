//go:build kdig

package resolver

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/internal/tlscert"
)

// TestKdig: knot-dnsutils' kdig, a client Hearth's code has no part in,
// over DoT and DoH against Hearth on loopback, strictly checking the
// certificate against Hearth's CA; the device ID in the server name and
// in the path picks the kid's rules. Build tag kdig (.ci/run installs
// knot-dnsutils and runs it): go test -tags kdig -run Kdig ./resolver/
func TestKdig(t *testing.T) {
	if _, err := exec.LookPath("kdig"); err != nil {
		t.Skip("kdig not installed (apt-get install knot-dnsutils)")
	}
	h := encServer(t, nil)
	pem, err := tlscert.CACertPEM(h.stateDir)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	kdig := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("kdig", append(args, "+tls-ca="+ca, "+timeout=5", "+retry=0", "www.roblox.com", "A")...).CombinedOutput()
		if err != nil {
			t.Fatalf("kdig %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	host, port, _ := strings.Cut(h.dot, ":")
	_, hport, _ := strings.Cut(h.doh, ":")
	for _, c := range []struct {
		what string
		args []string
		want string
	}{
		{"DoT as alex-tablet", []string{"@" + host, "-p", port, "+tls", "+tls-hostname=alex-tablet." + encName}, "status: NXDOMAIN"},
		{"DoT as parent-phone", []string{"@" + host, "-p", port, "+tls", "+tls-hostname=parent-phone." + encName}, "status: NOERROR"},
		{"DoH as alex-tablet", []string{"@" + host, "-p", hport, "+https=/dns-query/alex-tablet", "+tls-hostname=" + encName}, "(HTTP/2-POST)"},
		{"DoH as alex-tablet", []string{"@" + host, "-p", hport, "+https=/dns-query/alex-tablet", "+tls-hostname=" + encName}, "status: NXDOMAIN"},
		{"DoH as parent-phone", []string{"@" + host, "-p", hport, "+https=/dns-query/parent-phone", "+tls-hostname=" + encName}, "status: NOERROR"},
	} {
		if out := kdig(c.args...); !strings.Contains(out, c.want) {
			t.Errorf("%s: want %q in\n%s", c.what, c.want, out)
		}
	}
	// A certificate name kdig was not told of: refused.
	out, err := exec.Command("kdig", "@"+host, "-p", port, "+tls", "+tls-hostname=dns.example.org", "+tls-ca="+ca, "+timeout=3", "+retry=0", "www.example.com").CombinedOutput()
	if err == nil && strings.Contains(string(out), "status: NOERROR") {
		t.Errorf("kdig accepted a certificate not made for the name asked:\n%s", out)
	}
}

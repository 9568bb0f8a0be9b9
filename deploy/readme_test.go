package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADME checks deploy/README.md covers issue 7's guide (install, check,
// router, IPv6, dnsmasq forwarding, a fallback, uninstall), names only files
// that exist, and gives the same systemd-resolved commands as install.sh.
func TestREADME(t *testing.T) {
	t.Parallel()
	text := string(readFile(t, "README.md"))
	contains(t, "deploy/README.md", text,
		"sudo deploy/install.sh\n", "sudo deploy/install.sh --dry-run", "dig @192.168.1.2 example.com",
		"sudo hearth explain --client", "DHCP", "RDNSS", "DHCPv6", "add-mac", "server=192.168.1.2",
		"forwarders: [192.168.1.1]", "second Hearth", "sudo deploy/install.sh --uninstall",
		"compose.yaml", "NET_BIND_SERVICE")
	script := string(readFile(t, "install.sh"))
	for _, cmd := range []string{
		"printf '[Resolve]\\nDNSStubListener=no\\n' | sudo tee /etc/systemd/resolved.conf.d/hearth.conf",
		"sudo systemctl restart systemd-resolved",
		"sudo ln -sf /run/systemd/resolve/resolv.conf /etc/resolv.conf",
		"sudo rm -rf ",
	} {
		if !strings.Contains(text, cmd) || !strings.Contains(script, cmd) {
			t.Errorf("README.md and install.sh do not both say %q", cmd)
		}
	}
	for _, m := range regexp.MustCompile("`((?:\\.\\./)?(?:deploy|scripts|container|systemd)/[A-Za-z0-9_./-]+)`").FindAllStringSubmatch(text, -1) {
		p := m[1]
		if strings.HasSuffix(p, "hearth.yaml") {
			continue // written by the reader
		}
		if _, err := os.Stat(filepath.Join(repoRoot, p)); err != nil {
			if _, err2 := os.Stat(p); err2 != nil {
				t.Errorf("README.md names %s: %v", p, err)
			}
		}
	}
}

package deploy_test

import (
	"os"
	"strings"
	"testing"
)

const unitPath = "systemd/hearth.service"

// unitSettings reads a unit file into key -> values (a key may repeat).
func unitSettings(t *testing.T, text string) map[string][]string {
	t.Helper()
	m := map[string][]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("unit line without '=': %q", line)
			continue
		}
		m[k] = append(m[k], v)
	}
	return m
}

// TestSystemdUnitSettings checks the unit asks for what issue 7 and Hearth
// need: an unprivileged user with only CAP_NET_BIND_SERVICE, the sandbox, and
// nothing that would hide /proc/net/arp or stop `ip -6 neigh`.
func TestSystemdUnitSettings(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	m := unitSettings(t, string(b))
	for k, want := range map[string]string{
		"Type":                    "simple",
		"ExecStart":               "/usr/local/bin/hearth serve --config /etc/hearth/hearth.yaml",
		"ExecReload":              "/usr/local/bin/hearth reload --config /etc/hearth/hearth.yaml",
		"Restart":                 "on-failure",
		"After":                   "network-online.target",
		"Wants":                   "network-online.target",
		"User":                    "hearth",
		"Group":                   "hearth",
		"ReadWritePaths":          "/etc/hearth",
		"StateDirectory":          "hearth",
		"ConfigurationDirectory":  "hearth",
		"AmbientCapabilities":     "CAP_NET_BIND_SERVICE",
		"CapabilityBoundingSet":   "CAP_NET_BIND_SERVICE",
		"NoNewPrivileges":         "yes",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX AF_NETLINK",
		"WantedBy":                "multi-user.target",
	} {
		if got := m[k]; len(got) != 1 || got[0] != want {
			t.Errorf("%s=%q, want %q", k, got, want)
		}
	}
	if got := m["SystemCallFilter"]; len(got) == 0 || got[0] != "@system-service" {
		t.Errorf("SystemCallFilter=%q, want @system-service first", got)
	}
	// Device identification reads /proc/net/arp and runs `ip -6 neigh`.
	for _, k := range []string{"ProcSubset", "PrivateNetwork", "PrivateUsers", "NoExecPaths", "InaccessiblePaths", "IPAddressDeny", "DynamicUser"} {
		if v, ok := m[k]; ok {
			t.Errorf("%s=%q: must not be set (it hides /proc/net, stops `ip`, breaks port 53, or (DynamicUser) cannot own hearth.yaml)", k, v)
		}
	}
}

package identity

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseLeasesFixture(t *testing.T) {
	t.Parallel()
	got, err := ParseLeases(openIdentifyFixture(t, "leases.txt"))
	var mal *MalformedLinesError
	if !errors.As(err, &mal) {
		t.Fatalf("err = %v, want *MalformedLinesError", err)
	}
	// bad expiry, bad MAC, bad IP, 3 fields, IPv4 after duid.
	if mal.Count != 5 || mal.FirstLine != 7 {
		t.Errorf("skipped %d from line %d, want 5 from line 7 (%v)", mal.Count, mal.FirstLine, mal)
	}
	exp := time.Unix(1735689600, 0).UTC()
	want := []struct {
		expiry time.Time
		mac    string
		addr   string
		name   string
	}{
		{exp, "aa:bb:cc:dd:ee:01", "192.168.1.20", "kids-tablet"},
		{time.Unix(1735693200, 0).UTC(), "aa:bb:cc:dd:ee:02", "192.168.1.21", ""},
		{time.Time{}, "aa:bb:cc:dd:ee:03", "192.168.1.22", "printer"},
		{exp, "aa:bb:cc:dd:ee:04", "192.168.1.23", "laptop-wifi"},
		{exp, "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33", "192.168.1.24", "ib-host"},
		{exp, "", "192.168.1.25", "no-hw"},
		{time.Unix(1735696800, 0).UTC(), "aa:bb:cc:dd:ee:01", "2001:db8:1::1a", "kids-phone"},
		{time.Unix(1735696800, 0).UTC(), "aa:bb:cc:dd:ee:02", "2001:db8:1::1b", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d leases, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if !g.Expiry.Equal(w.expiry) || g.MAC.String() != w.mac || g.Addr.String() != w.addr || g.Name != w.name {
			t.Errorf("lease %d = {%v %v %v %q}, want %+v", i, g.Expiry, g.MAC, g.Addr, g.Name, w)
		}
	}
}

func TestParseLeases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		leases  int
		mac     string // of the first lease
		skipped int
	}{
		{"empty", "", 0, "", 0},
		{"no client id", "1735689600 aa:bb:cc:dd:ee:ff 192.168.1.20 tablet\n", 1, "aa:bb:cc:dd:ee:ff", 0},
		{"duid only", "duid 00:01:00:01:2c:5e:9f:10:00:11:22:33:44:55\n", 0, "", 0},
		{"v6 DUID-LL", "duid 00:03:00:01:00:11:22:33:44:55\n1 9 2001:db8::1 phone 00:03:00:01:aa:bb:cc:dd:ee:ff\n", 1, "aa:bb:cc:dd:ee:ff", 0},
		{"v6 DUID-UUID", "duid 00:03:00:01:00:11:22:33:44:55\n1 9 2001:db8::1 phone 00:04:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10\n", 1, "", 0},
		{"v6 no client id", "duid 00:03:00:01:00:11:22:33:44:55\n1 9 2001:db8::1 phone\n", 1, "", 0},
		{"v6 before duid", "1 9 2001:db8::1 phone 00:03:00:01:aa:bb:cc:dd:ee:ff\n", 0, "", 1},
		{"v6 bad IAID", "duid 00:03:00:01:00:11:22:33:44:55\n1 x9 2001:db8::1 phone *\n", 0, "", 1},
		{"negative expiry", "-5 aa:bb:cc:dd:ee:ff 192.168.1.20 tablet *\n", 0, "", 1},
		{"bad hw type", "1 zz-aa:bb:cc:dd:ee:ff 192.168.1.20 tablet *\n", 0, "", 1},
		{"zone", "1 aa:bb:cc:dd:ee:ff 192.168.1.20%eth0 tablet *\n", 0, "", 1},
		{"binary", "\x00\x01\x02 \xff\n", 0, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLeases(strings.NewReader(tt.in))
			checkSkippedLines(t, err, tt.skipped)
			if len(got) != tt.leases {
				t.Fatalf("got %d leases, want %d: %+v", len(got), tt.leases, got)
			}
			if tt.leases > 0 && got[0].MAC.String() != tt.mac {
				t.Errorf("MAC = %q, want %q", got[0].MAC, tt.mac)
			}
		})
	}
}

func FuzzParseLeases(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "identify", "leases.txt"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("duid 00:01\n1 T1 ::1 * 00:03:00:01:aa:bb:cc:dd:ee:ff"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := ParseLeases(bytes.NewReader(in))
		var mal *MalformedLinesError
		if err != nil && !errors.As(err, &mal) {
			t.Fatalf("non-malformed error from memory: %v", err)
		}
		for _, l := range got {
			if !l.Addr.IsValid() || l.Name == "*" {
				t.Fatalf("bad lease %+v", l)
			}
		}
	})
}

package doctor

import (
	"net"
	"strings"
	"testing"
)

// TestDoctorShared: no state.redis is ok ("runs alone"); a Redis that does
// not answer is a warning (DNS goes on), never showing the password.
func TestDoctorShared(t *testing.T) {
	path, _ := writeDoctorConfig(t, doctorSetup{})
	_, out := runDoctor(t, path, nil)
	wantFinding(t, out, "ok", "shared state: none (state.redis empty)")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close() // nothing listens there now
	path, _ = writeDoctorConfig(t, doctorSetup{extra: "state:\n  redis: \"redis://:hunter2@" + down + "/0\"\n  node: pi-kitchen\n"})
	_, out = runDoctor(t, path, nil)
	wantFinding(t, out, "warn", "shared state: Redis redis://:xxxxx@"+down+"/0 does not answer")
	if strings.Contains(out, "hunter2") {
		t.Errorf("the password is shown:\n%s", out)
	}
}

package doctor

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/internal/cluster"
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

// TestDoctorSharedConfigRefused: a shared hearth.yaml this node refused is
// a warning with its problems.
func TestDoctorSharedConfigRefused(t *testing.T) {
	path, stateDir := writeDoctorConfig(t, doctorSetup{extra: "state:\n  redis: \"redis://127.0.0.1:1/0\"\n"})
	if err := os.MkdirAll(stateDir, 0o750); err != nil {
		t.Fatal(err)
	}
	rec := `{"seq": 8, "from": "pi-kitchen", "state": "refused", "refused": true, "problems": ["hearth.yaml:12: lists.files: /srv/a.txt: no such file"]}`
	if err := os.WriteFile(filepath.Join(stateDir, cluster.ConfigStateFile), []byte(rec), 0o600); err != nil {
		t.Fatal(err)
	}
	_, out := runDoctor(t, path, nil)
	wantFinding(t, out, "warn", "shared hearth.yaml: version 8 from pi-kitchen was refused here")
	if !strings.Contains(out, "/srv/a.txt: no such file") {
		t.Errorf("the problem is not shown:\n%s", out)
	}
}

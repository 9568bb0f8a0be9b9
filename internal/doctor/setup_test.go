package doctor

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/web"
)

// TestDoctorSetupCode: while no password is set, the doctor shows the setup
// code the dashboard made at its start, and where to type it; once a
// password is set, neither.
func TestDoctorSetupCode(t *testing.T) {
	path, stateDir := writeDoctorConfig(t, doctorSetup{})
	free := freePort(t)
	dash := web.New(web.Options{Config: web.Config{Enabled: true, Listen: "127.0.0.1:0", SessionTTL: time.Hour}, StateDir: stateDir,
		AllowClients: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Version: "test", Logger: zerolog.Nop()})
	code, err := dash.PrepareSetup()
	if err != nil || len(code) != len("1234-5678-9012") {
		t.Fatalf("PrepareSetup = %q, %v", code, err)
	}
	if fi, err := os.Stat(filepath.Join(stateDir, web.SetupCodeFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("setup-code: %v, %v; want mode 0600", fi, err)
	}
	_, out := runDoctorEnv(t, []string{"HEARTH_WEB_LISTEN=" + free}, path, nil)
	_, port, _ := strings.Cut(free, ":")
	wantFinding(t, out, "warn", "dashboard password: not set; setup code "+code, ":"+port+"/setup", "works once", "sudo hearth passwd")

	if err := web.SetPassword(stateDir, "a-good-long-password"); err != nil {
		t.Fatal(err)
	}
	if again, err := dash.PrepareSetup(); err != nil || again != "" {
		t.Errorf("PrepareSetup with a password = %q, %v; want none", again, err)
	}
	if _, err := os.Stat(filepath.Join(stateDir, web.SetupCodeFile)); !os.IsNotExist(err) {
		t.Errorf("setup-code left behind with a password set: %v", err)
	}
	_, out = runDoctorEnv(t, []string{"HEARTH_WEB_LISTEN=" + free}, path, nil)
	if f := wantFinding(t, out, "ok", "dashboard password: set"); strings.Contains(out, code) {
		t.Errorf("the used code is still shown (%v):\n%s", f, out)
	}
}

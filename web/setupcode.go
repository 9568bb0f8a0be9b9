package web

// The setup code: what proves, at first start in the browser, that whoever
// sets the admin password owns the machine, and is not a child on the same
// Wi-Fi. While no password is set, Start makes a new code and writes it to
// state_dir/setup-code (mode 0600) and to the service log
// ("event":"setup_code"); `hearth doctor` shows it. A setup that succeeds
// removes the file, so a code works once. Wrong codes count against the
// login limits (loginlimit.go), so guessing is as slow as guessing the
// password: 12 digits are 10^12 codes, 5 tries per client per 15 minutes.

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/atomicfile"
	"github.com/hearth-dns/hearth/internal/clock"
)

// SetupCodeFile is the setup code's file in the state directory.
const SetupCodeFile = "setup-code"

const setupCodeDigits = 12

var (
	// ErrNoSetupCode: no setup is waiting (a password is set, or Hearth has
	// not started the dashboard since the code was used).
	ErrNoSetupCode = errors.New("there is no setup code: a password is set already, or Hearth was not started since the code was used (run `sudo hearth passwd`, or restart Hearth for a new code)")
	// ErrBadSetupCode: the code is wrong.
	ErrBadSetupCode = errors.New("wrong setup code: `hearth doctor` on the Hearth machine shows it, and the service log has it (\"event\":\"setup_code\")")
	// ErrAlreadySetUp: a password is set, so setup is over.
	ErrAlreadySetUp = errors.New("Hearth is set up already: log in with the admin password (`sudo hearth passwd` sets a new one)")
)

func setupCodePath(stateDir string) string { return filepath.Join(stateDir, SetupCodeFile) }

// newSetupCode is 12 random digits written 1234-5678-9012, easy to read
// out of a log and type on a phone.
func newSetupCode() string {
	var b strings.Builder
	for i := range setupCodeDigits {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		n, _ := rand.Int(rand.Reader, big.NewInt(10)) // never fails
		b.WriteByte(byte('0' + n.Int64()))
	}
	return b.String()
}

// normaliseCode keeps a code's digits: "1234 5678-9012" is 123456789012.
func normaliseCode(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ReadSetupCode returns the setup code waiting in stateDir, as written
// (1234-5678-9012); ErrNoSetupCode if there is none.
func ReadSetupCode(stateDir string) (string, error) {
	b, err := os.ReadFile(setupCodePath(stateDir))
	if errors.Is(err, fs.ErrNotExist) {
		return "", ErrNoSetupCode
	}
	if err != nil {
		return "", err
	}
	code := strings.TrimSpace(string(b))
	if len(normaliseCode(code)) != setupCodeDigits {
		return "", fmt.Errorf("%s is damaged: restart Hearth for a new code", setupCodePath(stateDir))
	}
	return code, nil
}

// PrepareSetup makes a new setup code when no password is set (writing it
// to the state directory and the log), and removes a code left over when
// one is. Start calls it; it returns the code ("" when a password is set).
func (s *Server) PrepareSetup() (string, error) {
	if s.opts.StateDir == "" {
		return "", nil // nowhere to keep it: `hearth passwd` it is
	}
	path := setupCodePath(s.opts.StateDir)
	if f, err := readAdmin(s.opts.StateDir); err != nil || f.Password != "" { // read now, not as cached
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		return "", nil
	}
	code := newSetupCode()
	if err := os.MkdirAll(s.opts.StateDir, 0o750); err != nil {
		return "", err
	}
	if err := atomicfile.Write(path, []byte(code+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("web: setup code not written: %w", err)
	}
	s.opts.Logger.Warn().Str("event", "setup_code").Str("code", code).Str("file", path).
		Msg("no admin password is set: open the dashboard and finish setup with this code (or run `sudo hearth passwd`)")
	return code, nil
}

// checkSetupCode compares code with the one waiting, in constant time,
// within the login limits: a wrong code is a failed login for the client.
// On success the caller holds the code; useSetupCode removes it.
func (a *Auth) checkSetupCode(r *http.Request, code string) error {
	ip := clientIP(r)
	a.mu.Lock()
	a.refresh()
	if a.password != nil {
		a.mu.Unlock()
		return ErrAlreadySetUp
	}
	wait, err := a.limits.begin(ip, a.clk.Now())
	a.mu.Unlock()
	if err != nil {
		return err
	}
	if wait > 0 {
		tick, stop := clock.After(a.clk, wait)
		select {
		case <-tick:
		case <-r.Context().Done():
			stop()
			a.mu.Lock()
			a.limits.abandon(ip)
			a.mu.Unlock()
			return r.Context().Err()
		}
	}
	want, rerr := ReadSetupCode(a.dir)
	got := normaliseCode(code)
	ok := rerr == nil && subtle.ConstantTimeCompare([]byte(got), []byte(normaliseCode(want))) == 1
	a.mu.Lock()
	defer a.mu.Unlock()
	if !ok {
		if until, locked := a.limits.fail(ip, a.clk.Now()); locked {
			a.lockedOut(limitKey(ip), until) // shared with other Hearths, as a login's (loginshared.go)
		}
		if rerr != nil && !errors.Is(rerr, ErrNoSetupCode) {
			return rerr
		}
		if errors.Is(rerr, ErrNoSetupCode) {
			return ErrNoSetupCode
		}
		return ErrBadSetupCode
	}
	a.limits.succeed(ip, a.clk.Now())
	return nil
}

// useSetupCode removes the code: it worked once and never again.
func (a *Auth) useSetupCode() error {
	err := os.Remove(setupCodePath(a.dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// startSession logs the request's client in with the password just set
// (the admin file is read again at once) and sets the session cookie.
func (a *Auth) startSession(w http.ResponseWriter, r *http.Request) (Principal, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.checked = time.Time{}
	a.refresh()
	if a.password == nil {
		return Principal{}, ErrNoPassword
	}
	return a.openSession(w, r, a.password, addrOf(r, clientIP(r))), nil
}

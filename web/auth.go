package web

// Who may change things on the dashboard and through the API.
//
// One admin password, set with `hearth passwd` and kept as a bcrypt hash in
// state_dir/admin.json with the API tokens' SHA-256 sums. A browser logs in
// with the password and gets a session cookie (in memory: a restart logs
// everyone out) and a CSRF token that every change must carry; a script sends
// "Authorization: Bearer hth_...". The running server notices a new
// admin.json within a second, so `hearth passwd` needs no restart; a new
// password ends every session. Failed logins lock out the client that made
// them and slow everyone down (loginlimit.go); a login or change a browser
// says came from another site is refused (origin.go).

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/hearth-dns/hearth/internal/atomicfile"
	"github.com/hearth-dns/hearth/internal/clock"
)

// AdminFile is the admin password and the API tokens, in the state
// directory, mode 0600:
//
//	{"version":1,"password":"$2a$10$...","tokens":[{"name":"backup-script","hash":"<sha256 hex>","created":"..."}]}
const AdminFile = "admin.json"

const (
	adminVersion = 1
	// MinPasswordLen is the shortest admin password, in characters.
	MinPasswordLen = 8
	// maxPasswordBytes is bcrypt's limit: it refuses longer passwords.
	maxPasswordBytes = 72
	// DefaultSessionTTL is how long a login lasts when NewAuth is given 0.
	DefaultSessionTTL = 12 * time.Hour
	// SessionCookie is the session cookie's name.
	SessionCookie = "hearth_session"
	// CSRFHeader and CSRFField carry the session's CSRF token on a change.
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "csrf"
	// TokenPrefix begins every API token, so a leaked one is recognisable.
	TokenPrefix = "hth_"

	reloadEvery = time.Second // admin.json is looked at no more often than this
	maxSessions = 256         // beyond this the session closest to expiry goes
)

var (
	// ErrNoPassword: no admin password is set (or admin.json is damaged:
	// see Auth.Problem); nobody can log in.
	ErrNoPassword = errors.New("no admin password is set: finish setup on the dashboard (/setup, with the code `hearth doctor` shows) or run `sudo hearth passwd` on the Hearth machine")
	// ErrBadPassword: the password is wrong.
	ErrBadPassword = errors.New("wrong password")
	// ErrCrossSite: a browser says the login came from another site's page
	// (Origin or Sec-Fetch-Site), or from an opaque one (Origin: null).
	ErrCrossSite = errors.New("this login came from another site: open the dashboard itself and log in there")
)

// Principal is who makes a request.
type Principal struct {
	Kind    string    // "session" or "token"
	Name    string    // "dashboard" for a session, the token's name for a token
	Addr    string    // client address (from r.RemoteAddr), for the audit log
	CSRF    string    // the session's CSRF token ("" for tokens)
	Expires time.Time // the session's end (zero for tokens)
}

// TokenInfo describes an API token (its secret is never kept).
type TokenInfo struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

// The admin file.

type adminFile struct {
	Version  int          `json:"version"`
	Password string       `json:"password"`
	Tokens   []adminToken `json:"tokens"`
}

type adminToken struct {
	Name    string    `json:"name"`
	Hash    string    `json:"hash"` // hex SHA-256 of the whole token, prefix included
	Created time.Time `json:"created"`
}

var tokenName = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

func adminPath(stateDir string) string { return filepath.Join(stateDir, AdminFile) }

// readAdmin reads and checks admin.json; a missing file is an empty one.
func readAdmin(stateDir string) (adminFile, error) {
	path := adminPath(stateDir)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return adminFile{Version: adminVersion}, nil
	}
	if err != nil {
		return adminFile{}, err
	}
	var f adminFile
	if err := json.Unmarshal(b, &f); err != nil {
		return adminFile{}, fmt.Errorf("%s is damaged: %v", path, err)
	}
	if err := f.check(); err != nil {
		return adminFile{}, fmt.Errorf("%s: %v", path, err)
	}
	return f, nil
}

func (f adminFile) check() error {
	if f.Version != adminVersion {
		return fmt.Errorf("version %d, but this Hearth reads version %d", f.Version, adminVersion)
	}
	if f.Password != "" {
		if _, err := bcrypt.Cost([]byte(f.Password)); err != nil {
			return fmt.Errorf("the password is not a bcrypt hash (%v)", err)
		}
	}
	seen := map[string]bool{}
	for i, t := range f.Tokens {
		if !tokenName.MatchString(t.Name) || seen[t.Name] {
			return fmt.Errorf("tokens[%d]: name %q is not a unique name of a-z, 0-9 and -", i, t.Name)
		}
		seen[t.Name] = true
		if h, err := hex.DecodeString(t.Hash); err != nil || len(h) != sha256.Size {
			return fmt.Errorf("tokens[%d] (%s): hash is not a hex SHA-256", i, t.Name)
		}
	}
	return nil
}

func writeAdmin(stateDir string, f adminFile) error {
	f.Version = adminVersion
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(adminPath(stateDir), append(b, '\n'), 0o600)
}

// SetPassword sets the admin password (bcrypt, default cost), keeping the
// tokens. It refuses passwords shorter than MinPasswordLen characters or
// longer than bcrypt's 72 bytes, and a damaged admin.json (whose tokens it
// would lose: remove the file first).
func SetPassword(stateDir, password string) error {
	if n := utf8.RuneCountInString(password); n < MinPasswordLen {
		return fmt.Errorf("the password has %d characters; use at least %d", n, MinPasswordLen)
	}
	if len(password) > maxPasswordBytes {
		return fmt.Errorf("the password is %d bytes long; bcrypt takes at most %d", len(password), maxPasswordBytes)
	}
	f, err := readAdmin(stateDir)
	if err != nil {
		return err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	f.Password = string(h)
	return writeAdmin(stateDir, f)
}

// NewToken creates an API token called name ([a-z0-9-]{1,32}) and returns it:
// "hth_" and 32 random bytes in base64url. Only its SHA-256 is stored, so it
// cannot be shown again. A token of the same name is replaced (the old one
// stops working).
func NewToken(stateDir, name string) (string, error) {
	if !tokenName.MatchString(name) {
		return "", fmt.Errorf("token name %q: use 1 to 32 of a-z, 0-9 and -", name)
	}
	f, err := readAdmin(stateDir)
	if err != nil {
		return "", err
	}
	token := TokenPrefix + randomString()
	sum := sha256.Sum256([]byte(token))
	t := adminToken{Name: name, Hash: hex.EncodeToString(sum[:]), Created: time.Now().UTC().Truncate(time.Second)}
	if i := slices.IndexFunc(f.Tokens, func(o adminToken) bool { return o.Name == name }); i >= 0 {
		f.Tokens[i] = t
	} else {
		f.Tokens = append(f.Tokens, t)
	}
	if err := writeAdmin(stateDir, f); err != nil {
		return "", err
	}
	return token, nil
}

// RevokeToken removes the token called name; an unknown name is an error
// that lists the tokens there are.
func RevokeToken(stateDir, name string) error {
	f, err := readAdmin(stateDir)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(f.Tokens, func(o adminToken) bool { return o.Name == name })
	if i < 0 {
		if len(f.Tokens) == 0 {
			return fmt.Errorf("no token is called %q: there are no tokens", name)
		}
		names := make([]string, len(f.Tokens))
		for i, t := range f.Tokens {
			names[i] = t.Name
		}
		return fmt.Errorf("no token is called %q; the tokens are: %s", name, strings.Join(names, ", "))
	}
	f.Tokens = slices.Delete(f.Tokens, i, i+1)
	return writeAdmin(stateDir, f)
}

// Tokens lists the API tokens, by name.
func Tokens(stateDir string) ([]TokenInfo, error) {
	f, err := readAdmin(stateDir)
	if err != nil {
		return nil, err
	}
	out := make([]TokenInfo, len(f.Tokens))
	for i, t := range f.Tokens {
		out[i] = TokenInfo{Name: t.Name, Created: t.Created}
	}
	slices.SortFunc(out, func(a, b TokenInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// randomString is 32 random bytes in unpadded base64url.
func randomString() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand crashes the program instead)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Auth checks logins, sessions, tokens and CSRF tokens. Safe for concurrent
// use.
type Auth struct {
	dir string
	clk clock.Clock
	ttl time.Duration

	mu       sync.Mutex
	checked  time.Time   // when admin.json was last looked at
	file     os.FileInfo // admin.json as last read well; nil: missing, or to be read again
	password []byte      // the bcrypt hash; nil: none
	tokens   []tokenSum
	problem  error
	sessions map[[sha256.Size]byte]*session // by the SHA-256 of the cookie's value
	limits   limiter
	slots    loginSlots                             // bounds the bcrypt checks at once
	compare  func(hash, password []byte) error      // bcrypt's; a test may hold it
	lockout  []func(client string, until time.Time) // OnLockout (loginshared.go)
}

type tokenSum struct {
	name string
	sum  []byte
}

type session struct {
	csrf     string
	expires  time.Time
	password string // the hash logged in with: another one ends the session
}

// NewAuth reads the admin file in stateDir as needed; sessions last
// sessionTTL (DefaultSessionTTL if 0).
func NewAuth(stateDir string, clk clock.Clock, sessionTTL time.Duration) *Auth {
	if clk == nil {
		clk = clock.System{}
	}
	if sessionTTL <= 0 {
		sessionTTL = DefaultSessionTTL
	}
	return &Auth{
		dir: stateDir, clk: clk, ttl: sessionTTL,
		sessions: map[[sha256.Size]byte]*session{},
		slots:    newLoginSlots(),
		compare:  bcrypt.CompareHashAndPassword,
	}
}

// PasswordSet tells whether an admin password is set. While admin.json is
// unreadable or damaged it is not; Problem says why.
func (a *Auth) PasswordSet() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refresh()
	return a.password != nil
}

// Problem is what is wrong with admin.json (unreadable, damaged), or nil.
// A missing file is no problem: no password is set yet.
func (a *Auth) Problem() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refresh()
	return a.problem
}

// refresh reads admin.json again if it changed (a new file from an atomic
// write, another size or time), looking at most once per reloadEvery.
// Called with a.mu held.
func (a *Auth) refresh() {
	now := a.clk.Now()
	if !a.checked.IsZero() && now.Sub(a.checked) >= 0 && now.Sub(a.checked) < reloadEvery {
		return
	}
	a.checked = now
	fi, err := os.Stat(adminPath(a.dir))
	if err == nil && a.file != nil && os.SameFile(a.file, fi) && fi.Size() == a.file.Size() && fi.ModTime().Equal(a.file.ModTime()) {
		return
	}
	var f adminFile
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f, err = adminFile{}, nil
	case err == nil:
		f, err = readAdmin(a.dir)
	}
	if err != nil {
		// Unreadable (perhaps for the instant between `hearth passwd`'s
		// rename and its chown) or damaged: nobody gets in; look again next
		// time. Sessions stay, to come back if the same hash does.
		a.file, a.password, a.tokens, a.problem = nil, nil, nil, err
		return
	}
	a.file, a.problem = fi, nil
	if f.Password == "" {
		a.password = nil
	} else {
		a.password = []byte(f.Password)
	}
	a.tokens = a.tokens[:0]
	for _, t := range f.Tokens {
		sum, _ := hex.DecodeString(t.Hash) // checked by readAdmin
		a.tokens = append(a.tokens, tokenSum{name: t.Name, sum: sum})
	}
	for k, s := range a.sessions {
		if s.password != f.Password {
			delete(a.sessions, k)
		}
	}
}

// Login checks password for the request's client: first that a browser
// sent it from the dashboard itself (ErrCrossSite), then the rate limits
// (RateLimitedError; under many failures it waits a few seconds first), then
// waits for a bcrypt slot (a busy RateLimitedError after compareWait), then
// the hash (ErrBadPassword; ErrNoPassword if none is set). On success it
// opens a session and sets its cookie on w.
func (a *Auth) Login(w http.ResponseWriter, r *http.Request, password string) (Principal, error) {
	if !sameOrigin(r) {
		return Principal{}, ErrCrossSite // not counted: a foreign page spends nobody's tries
	}
	ip := clientIP(r)
	addr := addrOf(r, ip)
	a.mu.Lock()
	a.refresh()
	hash := a.password
	if hash == nil {
		a.mu.Unlock()
		return Principal{}, ErrNoPassword
	}
	trusted := a.limits.isTrusted(ip, a.clk.Now())
	wait, err := a.limits.begin(ip, a.clk.Now())
	a.mu.Unlock()
	if err != nil {
		return Principal{}, err
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
			return Principal{}, r.Context().Err()
		}
	}

	// Slow on purpose (~100 ms on a Pi), so outside the lock, and at most
	// maxComparing at once (loginslots.go).
	release, err := a.slots.acquire(r.Context(), a.clk, trusted)
	if err != nil {
		a.mu.Lock()
		a.limits.abandon(ip) // not a failure: nobody is locked out for a crowd
		a.mu.Unlock()
		return Principal{}, err
	}
	err = a.compare(hash, []byte(password))
	release()

	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clk.Now()
	if err != nil {
		if until, locked := a.limits.fail(ip, now); locked {
			a.lockedOut(limitKey(ip), until)
		}
		return Principal{}, ErrBadPassword
	}
	a.limits.succeed(ip, now)
	return a.openSession(w, r, hash, addr), nil
}

// openSession starts a session for the password hash and sets its cookie
// on w. Called with a.mu held.
func (a *Auth) openSession(w http.ResponseWriter, r *http.Request, hash []byte, addr string) Principal {
	now := a.clk.Now()
	a.pruneSessions(now)
	id := randomString()
	s := &session{csrf: randomString(), expires: now.Add(a.ttl), password: string(hash)}
	a.sessions[sha256.Sum256([]byte(id))] = s
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: id, Path: "/",
		Expires: s.expires, MaxAge: int(a.ttl / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	return Principal{Kind: "session", Name: "dashboard", Addr: addr, CSRF: s.csrf, Expires: s.expires}
}

// pruneSessions drops expired sessions and, at maxSessions, the one closest
// to expiry, making room for one more. Called with a.mu held.
func (a *Auth) pruneSessions(now time.Time) {
	for k, s := range a.sessions {
		if !now.Before(s.expires) {
			delete(a.sessions, k)
		}
	}
	for len(a.sessions) >= maxSessions {
		var first [sha256.Size]byte
		var at time.Time
		for k, s := range a.sessions {
			if at.IsZero() || s.expires.Before(at) {
				first, at = k, s.expires
			}
		}
		delete(a.sessions, first)
	}
}

// Logout ends the request's session, if any, and clears its cookie.
func (a *Auth) Logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		a.mu.Lock()
		delete(a.sessions, sha256.Sum256([]byte(c.Value)))
		a.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

// Principal is who sent r: a bearer token ("Authorization: Bearer hth_...")
// if the request has one, else a session from the cookie. A wrong or revoked
// token, or an unknown or expired session, is nobody (false).
func (a *Auth) Principal(r *http.Request) (Principal, bool) {
	addr := addrOf(r, clientIP(r))
	if tok, ok := bearer(r); ok {
		sum := sha256.Sum256([]byte(tok))
		a.mu.Lock()
		defer a.mu.Unlock()
		a.refresh()
		name := ""
		for _, t := range a.tokens { // every one compared, in constant time
			if subtle.ConstantTimeCompare(sum[:], t.sum) == 1 {
				name = t.name
			}
		}
		if name == "" || !strings.HasPrefix(tok, TokenPrefix) {
			return Principal{}, false
		}
		return Principal{Kind: "token", Name: name, Addr: addr}, true
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return Principal{}, false
	}
	key := sha256.Sum256([]byte(c.Value))
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refresh()
	s, ok := a.sessions[key]
	if !ok {
		return Principal{}, false
	}
	if !a.clk.Now().Before(s.expires) {
		delete(a.sessions, key)
		return Principal{}, false
	}
	if a.password == nil || s.password != string(a.password) {
		return Principal{}, false
	}
	return Principal{Kind: "session", Name: "dashboard", Addr: addr, CSRF: s.csrf, Expires: s.expires}, true
}

// bearer returns the token of an "Authorization: Bearer ..." header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// CheckCSRF tells whether a change made by p in r may go ahead. Tokens may
// (a browser cannot send one of its own accord). A session must send its
// CSRF token in the X-CSRF-Token header or the csrf form field, and a
// browser's Origin and Sec-Fetch-Site, if sent, must say this site
// (sameOrigin).
func (a *Auth) CheckCSRF(r *http.Request, p Principal) bool {
	switch {
	case p.Kind == "token":
		return true
	case p.Kind != "session" || p.CSRF == "":
		return false
	}
	if !sameOrigin(r) {
		return false
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = r.PostFormValue(CSRFField)
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(p.CSRF)) == 1
}

// clientIP is the address of r's client without the port; the zero Addr if
// RemoteAddr is not an address (all such clients share one limit).
func clientIP(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	ip, _ := netip.ParseAddr(host)
	return ip.Unmap()
}

// addrOf is the client's address for the audit log.
func addrOf(r *http.Request, ip netip.Addr) string {
	if ip.IsValid() {
		return ip.String()
	}
	return r.RemoteAddr
}

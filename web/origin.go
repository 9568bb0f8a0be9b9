package web

// Same-origin checks: a login, and every change made with a session, must
// come from the dashboard's own pages. Browsers say where a request comes
// from (Origin, Sec-Fetch-Site); scripts (curl, a backup job) send neither
// and are let through, since a browser cannot be made to omit both.

import (
	"net/http"
	"net/url"
	"strings"
)

// sameOrigin reports whether r may have come from the dashboard's own pages:
//
//   - Origin, if sent, names this host (r.Host, which the Host check has
//     already passed); "null" (a sandboxed frame, a data: URL, some
//     redirects) is refused;
//   - Sec-Fetch-Site, if sent, is "same-origin" or "none" (typed in the
//     address bar, a bookmark).
//
// The scheme is not compared: with web.tls on, http:// and https:// on the
// same port are both the dashboard (plain HTTP only redirects).
func sameOrigin(r *http.Request) bool {
	if vs, ok := r.Header["Origin"]; ok {
		if len(vs) != 1 {
			return false
		}
		u, err := url.Parse(vs[0])
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || !strings.EqualFold(u.Host, r.Host) {
			return false
		}
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	return false
}

package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/policytest"
)

const notSetUp = "<strong>Setup is not finished:</strong> only ways around the filter are blocked; "

// TestFirstStartBanner: while the running configuration chooses nothing to
// block, every page says that only the ways round the filter are blocked,
// with a link to finish setup (the setup page before a password is set,
// the default group's editor after `hearth passwd`); a configuration that
// chooses something, or says unfiltered: true, shows no such line.
func TestFirstStartBanner(t *testing.T) {
	t.Parallel()
	bare := policy.Config{Timezone: "Europe/London", Identify: policy.IdentifyConfig{Refresh: time.Minute},
		Blocking: policy.BlockingConfig{Response: policy.ResponseNXDomain, TTL: 10 * time.Second},
		Groups:   map[string]policy.GroupConfig{policy.DefaultGroup: {}}}
	engine := func(cfg policy.Config) (*policy.Engine, *clocktest.Fake) {
		clk := clocktest.New(pagesNoon)
		return policytest.Engine(t, cfg, clk), clk
	}

	e, clk := engine(bare)
	f := newPagesFixture(t, pagesSetup{noPassword: true, engine: e, clk: clk})
	resp, body := f.get("/setup")
	wantPage(t, "setup page, nothing chosen", resp, body, http.StatusOK, notSetUp+`<a href="/setup">finish setup to choose what to block</a>`)

	e, clk = engine(bare)
	f = newPagesFixture(t, pagesSetup{engine: e, clk: clk})
	f.login()
	for _, page := range []string{"/now", "/devices", "/rules", "/log", "/report"} {
		resp, body := f.get(page)
		wantPage(t, page+" after hearth passwd, nothing chosen", resp, body, http.StatusOK,
			notSetUp+`<a href="/rules/group?name=default">finish setup to choose what to block</a>`)
	}
	resp, body = f.get("/api/status")
	wantPage(t, "/api/status, nothing chosen", resp, body, http.StatusOK, `"setup_unfinished": true`)

	unf := bare
	unf.Unfiltered = true
	for what, cfg := range map[string]policy.Config{"unfiltered: true": unf, "a household": pagesHousehold()} {
		e, clk = engine(cfg)
		f = newPagesFixture(t, pagesSetup{engine: e, clk: clk})
		f.login()
		resp, body := f.get("/now")
		wantPage(t, "/now with "+what, resp, body, http.StatusOK)
		if strings.Contains(body, "Setup is not finished") {
			t.Errorf("/now with %s says setup is not finished", what)
		}
		resp, body = f.get("/api/status")
		wantPage(t, "/api/status with "+what, resp, body, http.StatusOK, `"setup_unfinished": false`)
	}
}

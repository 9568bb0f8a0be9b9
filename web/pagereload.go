package web

import "net/http"

// reload is the Rules page's Reload button: hearth.yaml read again, as
// SIGHUP does. A refused reload comes back as the page's error, and the
// banner (view.Refused) stays on every page until a reload succeeds.
func (ps *pageSet) reload(_ *http.Request, _ Principal) (string, string, string, error) {
	if ps.s.opts.Backend == nil {
		return "", "", "", failed(kindInternal, nil, "this dashboard cannot reload the configuration")
	}
	if err := ps.s.svc.Reload(); err != nil {
		return "", "", "", err
	}
	return "", "", "hearth.yaml reloaded: the rules shown are the ones in use.", nil
}

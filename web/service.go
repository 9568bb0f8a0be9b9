package web

// The service layer: what the dashboard can show and change, as plain
// values and typed errors, with no HTTP in it. The JSON API (api.go,
// apistate.go) and the pages (pages.go, pageviews.go) both call it: the API
// turns its values into JSON and its errors into statuses (statusOf), the
// pages turn them into HTML. Neither calls the other's handlers.
//
// One idea per file: service_errors.go (the typed errors), service_status.go
// (devices and their status), service_overrides.go (pause and bonus time),
// service_journal.go (the report and the log), service_lists.go (lists,
// reload, the audit trail).

// service answers the dashboard's questions from the policy engine, the
// journal and the running process. It reads the server's options each time
// (a test may turn the journal off after New).
type service struct {
	opts  *Options
	audit *audit
}

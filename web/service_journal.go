package web

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/suggest"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/report"
)

// The report and the log, read from the journal.

// period is [now-length, now) for a length like "7d" ("" is def).
func (sv *service) period(length, def string) (since, until time.Time, err error) {
	d, err := report.ParseLength(firstNonEmpty(length, def))
	if err != nil {
		return since, until, invalid("since", err.Error(), err.Error())
	}
	until = sv.opts.Clock.Now()
	return until.Add(-d), until, nil
}

func (sv *service) journalOn() error {
	if sv.opts.Journal == nil {
		return notFound("the journal is off (journal.enabled: false), so there is no report or log")
	}
	return nil
}

// reportQuery is what a report covers: a length ("7d" if empty) and a
// device or a person ("" for all).
type reportQuery struct{ Since, Device, Person string }

// Report builds the report q asks for.
func (sv *service) Report(ctx context.Context, q reportQuery) (*report.Report, error) {
	if err := sv.journalOn(); err != nil {
		return nil, err
	}
	since, until, err := sv.period(q.Since, "7d")
	if err != nil {
		return nil, err
	}
	if err := sv.knownDevice(ctx, q.Device); err != nil {
		return nil, err
	}
	person, devices, err := sv.personDevices(q.Device, q.Person)
	if err != nil {
		return nil, err
	}
	var days []report.BudgetDay
	if b := sv.opts.Engine.Budgets(); b != nil {
		days = report.BudgetDaysOf(b.History(), sv.opts.Engine.Location())
	}
	rep, err := report.Build(ctx, sv.opts.Journal, report.Options{Since: since, Until: until, Device: q.Device,
		Location: sv.opts.Engine.Location(), Catalogue: sv.opts.Catalogue, HelpCountries: sv.opts.HelpCountries,
		Person: person, Devices: devices, Budgets: days})
	if err != nil {
		return nil, failed(kindInternal, err, "report: %v", err)
	}
	return rep, nil
}

// logQuery is what part of the log to read, as the API's query parameters
// and the Log page's filters give it: a length ("24h" if empty), a device,
// an action ("block" if empty, "allow" or "all") and a limit (200 if
// empty, 1..5000).
type logQuery struct{ Since, Device, Person, Action, Limit string }

// logLimit is how many rows the log gives unless asked for a limit.
const logLimit = 200

// Log reads the journal rows q asks for.
func (sv *service) Log(ctx context.Context, q logQuery) ([]journal.Row, error) {
	if err := sv.journalOn(); err != nil {
		return nil, err
	}
	since, until, err := sv.period(q.Since, "24h")
	if err != nil {
		return nil, err
	}
	if err := sv.knownDevice(ctx, q.Device); err != nil {
		return nil, err
	}
	_, devices, err := sv.personDevices(q.Device, q.Person)
	if err != nil {
		return nil, err
	}
	f := journal.Filter{Since: since, Until: until, Device: q.Device, Devices: devices, Action: journal.OnlyBlocked, Limit: logLimit}
	switch q.Action {
	case "", "block":
	case "allow":
		f.Action = journal.OnlyAllowed
	case "all":
		f.Action = journal.AnyAction
	default:
		return nil, invalid("action", "action: use block, allow or all", "use block, allow or all")
	}
	if q.Limit != "" {
		n, err := strconv.Atoi(q.Limit)
		if err != nil || n < 1 || n > 5000 {
			return nil, invalid("limit", "limit: 1..5000", "1..5000")
		}
		f.Limit = n
	}
	rows, err := sv.opts.Journal.Rows(ctx, f)
	if err != nil {
		return nil, failed(kindInternal, err, "journal: %v", err)
	}
	return rows, nil
}

// knownDevice refuses a device filter nothing answers to (not a device's
// name, not an address, never seen in the journal), with the nearest name:
// a typo must not read as "nothing blocked".
func (sv *service) knownDevice(ctx context.Context, name string) error {
	if name == "" {
		return nil
	}
	if _, known := sv.opts.Engine.HasDevice(name); known {
		return nil
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return nil
	}
	if rows, err := sv.opts.Journal.Rows(ctx, journal.Filter{Device: name, Limit: 1}); err == nil && len(rows) > 0 {
		return nil // renamed or removed since, still in the journal
	}
	var names []string
	for _, st := range sv.opts.Engine.Status(sv.opts.Clock.Now()) {
		if st.Name != "" {
			names = append(names, st.Name)
		}
	}
	if s := suggest.Closest(name, names); s != "" {
		return notFound("no device %q: did you mean %q?", name, s)
	}
	return notFound("no device %q (devices: %s)", name, strings.Join(names, ", "))
}

// personDevices is the person a report or log is about (as the
// configuration spells it) and their devices; "" asks for nobody. A
// person and a device together, or a person nobody knows, is refused with
// the closest name.
func (sv *service) personDevices(device, person string) (string, []string, error) {
	if person == "" {
		return "", nil, nil
	}
	if device != "" {
		return "", nil, invalid("person", "set a device or a person, not both", "set a device or a person, not both")
	}
	devices, err := sv.opts.Engine.PersonDevices(person)
	if err != nil {
		return "", nil, classify(err)
	}
	for _, p := range sv.opts.Engine.People() {
		if strings.EqualFold(p, person) {
			person = p
		}
	}
	if len(devices) == 0 {
		devices = []string{"\x00"} // a person with no device: nothing of anyone else
	}
	return person, devices, nil
}

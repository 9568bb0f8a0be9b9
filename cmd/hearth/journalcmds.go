package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/internal/termsafe"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy/words"
	"github.com/hearth-dns/hearth/report"
)

// `hearth report` and `hearth log` read the journal that `hearth serve`
// writes (read-only, safe while it runs).

// parseSince reads a look-back: "7d", "2w", "36h", "30m".
func parseSince(s string) (time.Duration, error) {
	d, err := report.ParseLength(s)
	if err != nil {
		return 0, fmt.Errorf("--since %w", err)
	}
	return d, nil
}

// openJournal loads the configuration and opens its journal read-only.
func (a *app) openJournal(file string) (*config.Config, *journal.Reader, error) {
	cfg, src, err := config.Load(a.loadOptions(file, nil))
	a.printWarnings(src)
	if err != nil {
		a.printProblems(err)
		return nil, nil, exitStatus(exitError)
	}
	r, err := journal.OpenReaderFor(cfg.Journal, cfg.StateDirectory())
	if err != nil {
		fmt.Fprintf(a.stderr, "hearth: %v\n", err)
		return nil, nil, exitStatus(exitError)
	}
	return cfg, r, nil
}

func householdZone(cfg *config.Config) *time.Location {
	loc, err := time.LoadLocation(cfg.Policy.Timezone)
	if err != nil {
		return time.Local
	}
	return loc
}

func newReportCmd(a *app) *cobra.Command {
	var file, since, device, person, format string
	cmd := &cobra.Command{
		Use:   "report [--since 7d] [--device NAME | --person NAME] [--format text|json|html]",
		Short: "The parents' report: what was blocked, when, and what to talk about",
		Long: "report reads the journal of blocked lookups and writes, for each device,\n" +
			"the blocked attempts by category and service, how many fell at bedtime or\n" +
			"outside allowed hours, the busiest hours, services seen for the first time,\n" +
			"and the change from the period before; then conversation starters matched\n" +
			"to what was seen, and where to get help. --format html writes one\n" +
			"self-contained page with small charts that opens offline.",
		Example: "  hearth report\n  hearth report --since 30d --device alex-tablet\n  hearth report --person alex\n  hearth report --format html > report.html",
		Args:    cobra.NoArgs,
	}
	cmd.Flags().StringVarP(&file, "config", "c", "", "configuration file (default: ./hearth.yaml, then /etc/hearth/hearth.yaml)")
	cmd.Flags().StringVar(&since, "since", "7d", "the period: the last 30m, 12h, 7d, 2w, ...")
	cmd.Flags().StringVarP(&device, "device", "d", "", "one device (its configured name or address)")
	cmd.Flags().StringVar(&person, "person", "", "one child: all their devices (people: in hearth.yaml), with their daily budgets")
	cmd.Flags().StringVar(&format, "format", "text", "text, json or html")
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		length, err := parseSince(since)
		if err != nil {
			fmt.Fprintf(a.stderr, "hearth: %v\n", err)
			return exitStatus(exitUsage)
		}
		if format != "text" && format != "json" && format != "html" {
			fmt.Fprintf(a.stderr, "hearth: --format %q: use text, json or html\n", format)
			return exitStatus(exitUsage)
		}
		cfg, r, err := a.openJournal(file)
		if err != nil {
			return err
		}
		defer r.Close()
		if device != "" && person != "" {
			fmt.Fprintf(a.stderr, "hearth: --device and --person: say one of them\n")
			return exitStatus(exitUsage)
		}
		if err := checkDevice(c.Context(), cfg, r, device); err != nil {
			fmt.Fprintf(a.stderr, "hearth: %v\n", err)
			return exitStatus(exitError)
		}
		devices, err := personDevices(cfg, person)
		if err != nil {
			fmt.Fprintf(a.stderr, "hearth: %v\n", err)
			return exitStatus(exitError)
		}
		days, err := budgetDays(cfg)
		if err != nil {
			fmt.Fprintf(a.stderr, "hearth: daily budgets: %v\n", err)
		}
		now := time.Now()
		rep, err := report.Build(c.Context(), r, report.Options{
			Since: now.Add(-length), Until: now, Device: device, Location: householdZone(cfg),
			Catalogue: blocklists.Builtin(), HelpCountries: cfg.Policy.Help.Countries,
			Person: person, Devices: devices, Budgets: days,
		})
		if err != nil {
			fmt.Fprintf(a.stderr, "hearth: report: %v\n", err)
			return exitStatus(exitError)
		}
		switch format {
		case "json":
			err = rep.JSON(a.stdout)
		case "html":
			err = rep.HTML(a.stdout)
		default:
			err = rep.Text(termsafe.NewWriter(a.stdout)) // names come from the network: no terminal escapes
		}
		if err != nil {
			fmt.Fprintf(a.stderr, "hearth: report: %v\n", err)
			return exitStatus(exitError)
		}
		return nil
	}
	return cmd
}

func newLogCmd(a *app) *cobra.Command {
	var file, since, device, person string
	var follow, allowed bool
	cmd := &cobra.Command{
		Use:   "log [--device NAME | --person NAME] [--since 1h] [--follow]",
		Short: "The blocked lookups, newest first: what was that just now?",
		Long: "log lists the journal's blocked lookups, newest first, one line per device,\n" +
			"name and minute, with how many tries it was and why it was blocked.\n" +
			"--follow keeps printing new ones as they are recorded (the journal commits\n" +
			"about once a second).",
		Example: "  hearth log\n  hearth log --device alex-tablet --since 1d\n  hearth log --follow",
		Args:    cobra.NoArgs,
	}
	cmd.Flags().StringVarP(&file, "config", "c", "", "configuration file (default: ./hearth.yaml, then /etc/hearth/hearth.yaml)")
	cmd.Flags().StringVar(&since, "since", "1h", "how far back: 30m, 12h, 7d, ...")
	cmd.Flags().StringVarP(&device, "device", "d", "", "one device (its configured name or address)")
	cmd.Flags().StringVar(&person, "person", "", "one child: all their devices (people: in hearth.yaml)")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new blocked lookups")
	cmd.Flags().BoolVar(&allowed, "allowed", false, "show allowed lookups too (groups with log_allowed)")
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		length, err := parseSince(since)
		if err != nil {
			fmt.Fprintf(a.stderr, "hearth: %v\n", err)
			return exitStatus(exitUsage)
		}
		cfg, r, err := a.openJournal(file)
		if err != nil {
			return err
		}
		defer r.Close()
		if err := checkDevice(c.Context(), cfg, r, device); err != nil {
			fmt.Fprintf(a.stderr, "hearth: %v\n", err)
			return exitStatus(exitError)
		}
		if device != "" && person != "" {
			fmt.Fprintf(a.stderr, "hearth: --device and --person: say one of them\n")
			return exitStatus(exitUsage)
		}
		devices, err := personDevices(cfg, person)
		if err != nil {
			fmt.Fprintf(a.stderr, "hearth: %v\n", err)
			return exitStatus(exitError)
		}
		loc := householdZone(cfg)
		f := journal.Filter{Since: time.Now().Add(-length), Device: device, Devices: devices, Action: journal.OnlyBlocked}
		if allowed {
			f.Action = journal.AnyAction
		}
		rows, err := r.Rows(c.Context(), f)
		if err != nil {
			fmt.Fprintf(a.stderr, "hearth: log: %v\n", err)
			return exitStatus(exitError)
		}
		// Rows come oldest first; the log shows the newest first.
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
		out := termsafe.NewWriter(a.stdout) // names come from the network: no terminal escapes
		printLogRows(out, rows, loc)
		if len(rows) == 0 && !follow {
			fmt.Fprintf(out, "nothing blocked in the last %s\n", since)
		}
		if follow {
			return followLog(c.Context(), out, r, f, rows, loc)
		}
		return nil
	}
	return cmd
}

// rowKey names a journal row: its counts grow while its minute lasts.
func rowKey(r journal.Row) string {
	return r.Minute.Format(time.RFC3339) + "\x00" + r.Device + "\x00" + r.Client + "\x00" + r.Name + "\x00" + r.Action.String()
}

// followLog polls the journal every second, printing rows that are new or
// have more attempts than when last printed.
func followLog(ctx context.Context, w io.Writer, r *journal.Reader, f journal.Filter, seen []journal.Row, loc *time.Location) error {
	shown := map[string]int64{}
	for _, row := range seen {
		shown[rowKey(row)] = row.Attempts
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		f.Since = time.Now().Add(-2 * time.Minute).Truncate(time.Minute)
		rows, err := r.Rows(ctx, f)
		if err != nil {
			if ctx.Err() != nil {
				return nil // stopped (Ctrl-C) while reading: not an error
			}
			return fmt.Errorf("log: %w", err)
		}
		var fresh []journal.Row
		for _, row := range rows {
			k := rowKey(row)
			if row.Attempts > shown[k] {
				row.Attempts -= shown[k]
				shown[k] += row.Attempts
				fresh = append(fresh, row)
			}
		}
		printLogRows(w, fresh, loc)
	}
}

// printLogRows writes rows as a table: when, device, name, tries, why.
func printLogRows(w io.Writer, rows []journal.Row, loc *time.Location) {
	if len(rows) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range rows {
		who := r.Device
		if who == "" {
			who = r.Client
		}
		name := r.Name
		if r.Folded > 0 { // a flood of names folded into one row
			name = words.Folded(who, r.Folded, journal.FoldedUnder(r.Name), r.Last.Sub(r.First))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Minute.In(loc).Format("Mon 15:04"), who, name, tries(r.Attempts), why(r))
	}
	tw.Flush()
}

func tries(n int64) string {
	if n == 1 {
		return "1 try"
	}
	return strconv.FormatInt(n, 10) + " tries"
}

// why is a row's reason in a few words: "gaming/roblox, outside allowed hours".
func why(r journal.Row) string {
	f := r.Facts()
	return words.LogWhy(&f)
}

package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/policy"
)

// `hearth help-sites`: the child-help sites every device can always reach,
// so a parent can see (and tell a child) what stays open at every hour.

func newHelpSitesCmd(a *app) *cobra.Command {
	var (
		file      string
		countries []string
	)
	cmd := &cobra.Command{
		Use:   "help-sites [--country CC]",
		Short: "List the child-help sites that are always reachable and never logged",
		Long: "help-sites lists the built-in child-help services (country, name, phone,\n" +
			"domains) of the countries in help.countries, then the help.domains of\n" +
			"hearth.yaml. These sites are reachable from every device at every hour,\n" +
			"whatever a rule, bedtime or pause says, and visits to them are never logged.\n" +
			"Each domain also covers its subdomains.\n\n" +
			"--country shows another country's services instead (gb, ie, ...).",
		Example: "  hearth help-sites\n  hearth help-sites --country ie",
		Args:    cobra.NoArgs,
	}
	cmd.Flags().StringVarP(&file, "config", "c", "",
		"configuration file (default: ./hearth.yaml, then /etc/hearth/hearth.yaml, else built-in defaults)")
	cmd.Flags().StringSliceVar(&countries, "country", nil,
		"list this country's services instead of help.countries (ISO code: gb, ie, ...; repeat or comma-separate)")
	cmd.RunE = func(*cobra.Command, []string) error {
		cfg, src, err := config.Load(a.loadOptions(file, nil))
		a.printWarnings(src)
		if err != nil {
			a.printProblems(err)
			return exitStatus(exitError)
		}
		help := cfg.Policy.Help
		from := help.Countries
		if len(countries) > 0 {
			from = countries
		}
		svcs, err := policy.HelpServices(from)
		if err != nil {
			fmt.Fprintf(a.stderr, "hearth: %v\n", err)
			return exitStatus(exitUsage)
		}
		printHelpSites(a.stdout, svcs, help, len(countries) > 0)
		return nil
	}
	return cmd
}

// printHelpSites writes what is always reachable: svcs in a table, then the
// household's own help domains. chosen says the services were asked for by
// --country, so the ones help.countries does not include are pointed out.
func printHelpSites(w io.Writer, svcs []policy.HelpService, help policy.HelpConfig, chosen bool) {
	fmt.Fprintln(w, "Help sites are always reachable and never logged: every device can reach them")
	fmt.Fprintln(w, "at every hour, whatever a rule, bedtime or pause says.")
	fmt.Fprintln(w)
	if len(svcs) == 0 {
		fmt.Fprintf(w, "help.countries is empty: no built-in help sites (countries that have them: %s)\n",
			strings.Join(policy.HelpCountries(), ", "))
	} else {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "COUNTRY\tNAME\tPHONE\tDOMAINS")
		for _, s := range svcs {
			phone := s.Phone
			if phone == "" {
				phone = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Country, s.Name, phone, strings.Join(s.Domains, ", "))
		}
		_ = tw.Flush()
	}
	if chosen {
		var missing []string
		for _, s := range svcs {
			if !slices.ContainsFunc(help.Countries, func(c string) bool { return strings.EqualFold(strings.TrimSpace(c), s.Country) }) &&
				!slices.Contains(missing, s.Country) {
				missing = append(missing, s.Country)
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(w, "\nnot in help.countries, so not yet allowed: %s (add to help.countries in hearth.yaml)\n",
				strings.Join(missing, ", "))
		}
	}
	fmt.Fprintln(w)
	if len(help.Domains) == 0 {
		fmt.Fprintln(w, "help.domains: none (add your own help sites there, each with its subdomains)")
		return
	}
	fmt.Fprintln(w, "help.domains (from hearth.yaml):")
	for _, d := range help.Domains {
		fmt.Fprintf(w, "  %s\n", d)
	}
}

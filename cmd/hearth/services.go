package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/config"
)

// `hearth services`: what the built-in catalogue holds, so a parent can find
// the names to put in blocking.block. It needs no configuration.

func newServicesCmd(a *app) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "services [SERVICE-OR-CATEGORY]",
		Short: "List the built-in categories and services that blocking.block can name",
		Long: "services lists the catalogue's categories and, in each, its services (id, name,\n" +
			"number of domains) or the public lists it downloads. With a name it shows one\n" +
			"service's domains and sources, or one category's services and lists.\n" +
			"Put ids in blocking.block (e.g. [gaming, tiktok]) to block them.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			// The catalogue is built in; --config is accepted like every
			// command's, and a file given is checked (a wrong path is an error).
			if file != "" {
				if _, src, err := config.Load(a.loadOptions(file, nil)); err != nil {
					a.printWarnings(src)
					a.printProblems(err)
					return exitStatus(exitError)
				}
			}
			cat := blocklists.Builtin()
			if len(args) == 0 {
				printCatalogue(a.stdout, cat)
				return nil
			}
			svcs, category, err := cat.Lookup(args[0])
			var unknown *blocklists.UnknownNameError
			if errors.As(err, &unknown) {
				fmt.Fprintf(a.stderr, "hearth: %v\nRun 'hearth services' to see them all.\n", err)
				return exitStatus(exitError)
			}
			if err != nil {
				fmt.Fprintf(a.stderr, "hearth: %v\n", err)
				return exitStatus(exitError)
			}
			if category != nil {
				printCategory(a.stdout, category, svcs)
			} else {
				printService(a.stdout, svcs[0])
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "", "configuration file (checked; the catalogue itself is built in)")
	return cmd
}

// printCatalogue writes every category in catalogue order: its services, or
// its public lists.
func printCatalogue(w io.Writer, c *blocklists.Catalogue) {
	for i := range c.Categories {
		category := &c.Categories[i]
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s: %s\n", category.ID, category.Name)
		printServiceTable(w, c.ServicesIn(category.ID))
		printLists(w, category.Lists, false)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Each domain also covers its subdomains. `hearth services NAME` shows one")
	fmt.Fprintln(w, "service's domains or one category; blocking.block in hearth.yaml takes the ids.")
}

func printCategory(w io.Writer, category *blocklists.Category, svcs []*blocklists.Service) {
	fmt.Fprintf(w, "%s: %s\n", category.ID, category.Name)
	if category.Description != "" {
		fmt.Fprintln(w, category.Description)
	}
	if len(svcs) > 0 {
		fmt.Fprintf(w, "\nservices (%d):\n", len(svcs))
		printServiceTable(w, svcs)
	}
	if len(category.Lists) > 0 {
		fmt.Fprintf(w, "\npublic lists (%d), downloaded when the category is blocked:\n", len(category.Lists))
		printLists(w, category.Lists, true)
	}
}

func printService(w io.Writer, s *blocklists.Service) {
	fmt.Fprintf(w, "%s: %s\n", s.ID, s.Name)
	fmt.Fprintf(w, "categories: %s\n", strings.Join(s.Categories, ", "))
	fmt.Fprintf(w, "\ndomains (%d; each also covers its subdomains):\n", len(s.Domains))
	for _, d := range s.Domains {
		fmt.Fprintf(w, "  %s\n", d)
	}
	if len(s.Background) > 0 {
		fmt.Fprintf(w, "\nbackground (%d; looked up with nobody playing, not counted by a daily budget):\n", len(s.Background))
		for _, d := range s.Background {
			fmt.Fprintf(w, "  %s\n", d)
		}
	}
	if len(s.Settings) > 0 {
		fmt.Fprintln(w, "\nits own parental controls:")
		for _, st := range s.Settings {
			fmt.Fprintf(w, "  %s\n    %s\n", st.Name, st.URL)
		}
	}
	fmt.Fprintln(w, "\nsources:")
	for _, src := range s.Sources {
		fmt.Fprintf(w, "  %s\n", src)
	}
}

// printServiceTable writes one line a service: id, name, domain count.
func printServiceTable(w io.Writer, svcs []*blocklists.Service) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range svcs {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.ID, s.Name, plural(len(s.Domains), "domain"))
	}
	_ = tw.Flush()
}

// printLists writes each public list's name and licence, then its URL (and
// with homepage, its project's page) on lines of their own, so long
// addresses still read in a narrow terminal.
func printLists(w io.Writer, lists []blocklists.PublicList, homepage bool) {
	for _, l := range lists {
		fmt.Fprintf(w, "  %s, licence %s\n    %s\n", l.Name, l.License, l.URL)
		if homepage {
			fmt.Fprintf(w, "    homepage: %s\n", l.Homepage)
		}
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

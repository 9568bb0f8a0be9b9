package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hearth-dns/hearth/internal/doctor"
	"github.com/hearth-dns/hearth/internal/termsafe"
)

// `hearth doctor`: the checks are internal/doctor's; this is the command
// line and the printing.

func newDoctorCmd(a *app) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "doctor [--config FILE]",
		Short: "Check this machine for what usually goes wrong: ports, upstreams, clock, lists, journal, router",
		Long: "doctor checks, one line each (ok, warn or FAIL, with a fix for the last two):\n" +
			"  - the configuration loads;\n" +
			"  - each listen address is free for UDP and TCP, or held by Hearth itself;\n" +
			"  - each upstream answers over its own protocol, within upstreams.timeout\n" +
			"    (slower than 500 ms is a warning; all failing is a FAIL);\n" +
			"  - the clock is set (not before this build) and synchronised: a Raspberry Pi\n" +
			"    has no battery-backed clock, and schedules depend on the time;\n" +
			"  - the household's time zone, with its time now to compare with a clock;\n" +
			"  - the lists compile from their cached copies, each downloaded and fresh\n" +
			"    (confirmed within 3 x lists.refresh); nothing is downloaded;\n" +
			"  - the journal's directory is writable, its disk has 100 MB free, and the\n" +
			"    database opens;\n" +
			"  - the router sends the household to Hearth: queries from more than one\n" +
			"    other device in the last 24 hours (the journal and state_dir/devices.json).\n\n" +
			"Run it as the user Hearth runs as (e.g. `sudo -u hearth hearth doctor`, or with\n" +
			"sudo) so that it checks the same state directory and permissions.\n\n" +
			"Exit status: 0 when nothing FAILed (warnings included), 1 when something did,\n" +
			"2 for a bad command line.",
		Example: "  hearth doctor\n  sudo hearth doctor --config /etc/hearth/hearth.yaml",
		Args:    cobra.NoArgs,
	}
	cmd.Flags().StringVarP(&file, "config", "c", "",
		"configuration file (default: ./hearth.yaml, then /etc/hearth/hearth.yaml, else built-in defaults)")
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		out := termsafe.NewWriter(a.stdout) // device and lease names come from the network: no terminal escapes
		findings := doctor.New(version, date).Run(c.Context(), a.loadOptions(file, nil),
			func(f doctor.Finding) { printFinding(out, f) })
		printSummary(out, findings)
		if doctor.Failed(findings) {
			return exitStatus(exitError)
		}
		return nil
	}
	return cmd
}

// printFinding writes f: "ok    text", its notes and fix indented under it.
func printFinding(w io.Writer, f doctor.Finding) {
	fmt.Fprintf(w, "%-4s  %s\n", f.Status, f.Text)
	for _, n := range f.Notes {
		fmt.Fprintf(w, "      %s\n", n)
	}
	if f.Status != doctor.OK && f.Fix != "" {
		fmt.Fprintf(w, "      fix: %s\n", strings.ReplaceAll(f.Fix, "\n", "\n           "))
	}
}

// printSummary writes "3 ok, 1 warn, 0 FAIL" after a blank line.
func printSummary(w io.Writer, findings []doctor.Finding) {
	var counts [3]int
	for _, f := range findings {
		counts[f.Status]++
	}
	fmt.Fprintf(w, "\n%d ok, %d warn, %d FAIL\n", counts[doctor.OK], counts[doctor.Warn], counts[doctor.Fail])
}

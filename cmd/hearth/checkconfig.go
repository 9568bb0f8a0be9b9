package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hearth-dns/hearth/internal/config"
)

func newCheckConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check-config",
		Short: "Check the configuration and report every problem",
		Long: "check-config loads the configuration exactly as serve would (file, HEARTH_*\n" +
			"variables, flags) and prints \"ok: <where it came from>\", or every problem,\n" +
			"one a line, with exit status 1. An empty file is a problem too; a configuration\n" +
			"that chooses nothing to block is ok with a warning (until it does, only the ways\n" +
			"round the filter are blocked, for the default group; a running Hearth that filters\n" +
			"refuses to reload into it unless it sets unfiltered: true).",
		Args: cobra.NoArgs,
	}
	opts := a.configFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, src, err := config.Load(opts())
		a.printWarnings(src)
		if err != nil {
			a.printProblems(err)
			return exitStatus(exitError)
		}
		if src.EmptyFile {
			fmt.Fprintf(a.stderr, "%s: the file is empty: serve would start on the built-in defaults, which block only the ways round the filter, "+
				"and a running Hearth refuses to reload it\n", src.File)
			return exitStatus(exitError)
		}
		if src.File != "" && !cfg.Policy.Filters() && !cfg.Policy.Unfiltered {
			fmt.Fprintln(a.stderr, "warning: this configuration chooses nothing to block (no blocking.block, group rules, bedtime, "+
				"safe search, bypass protection or device blocks): until it does, only the ways round the filter are "+
				"blocked, for the default group, as before setup; a running Hearth that filters refuses to reload into it "+
				"unless it sets unfiltered: true")
		}
		fmt.Fprintf(a.stdout, "ok: %s\n", src)
		return nil
	}
	return cmd
}

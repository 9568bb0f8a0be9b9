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
			"one a line, with exit status 1.",
		Args: cobra.NoArgs,
	}
	opts := a.configFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		_, src, err := config.Load(opts())
		a.printWarnings(src)
		if err != nil {
			a.printProblems(err)
			return exitStatus(exitError)
		}
		fmt.Fprintf(a.stdout, "ok: %s\n", src)
		return nil
	}
	return cmd
}

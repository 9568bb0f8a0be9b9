package main

import (
	"github.com/spf13/cobra"

	"github.com/hearth-dns/hearth/internal/config"
)

func newConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with the configuration file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(a.stderr)
			_ = cmd.Help()
			return exitStatus(exitUsage)
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "default",
		Short: "Print the default configuration, every key with a comment",
		Long:  "Print the built-in configuration. Save it as hearth.yaml and edit it:\n\n  hearth config default > hearth.yaml",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := a.stdout.Write(config.DefaultYAML())
			return err
		},
	})
	return cmd
}

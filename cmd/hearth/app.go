package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hearth-dns/hearth/internal/config"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // a configuration or runtime problem
	exitUsage = 2 // bad command line
)

// app is what the commands take from the process, so tests can run them
// in-process with their own output, environment and signals.
type app struct {
	stdout, stderr io.Writer
	stdin          io.Reader // nil: os.Stdin (hearth passwd reads the password from it)
	environ        func() []string
	search         []string         // config files tried without --config; nil: config.DefaultSearch()
	signals        <-chan os.Signal // nil: serve subscribes to SIGINT, SIGTERM and SIGHUP
	isTerminal     func() bool      // whether stdout is a terminal (log.format: auto)
}

func newApp() *app {
	return &app{
		stdout:  os.Stdout,
		stderr:  os.Stderr,
		stdin:   os.Stdin,
		environ: os.Environ,
		isTerminal: func() bool {
			fd := os.Stdout.Fd()
			return isatty.IsTerminal(fd) || isatty.IsCygwinTerminal(fd)
		},
	}
}

// exitStatus is returned by a command that has already told the user what
// went wrong: execute only turns it into the exit status.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// execute runs the command line args and returns the exit status.
func execute(ctx context.Context, a *app, args []string) int {
	root := newRootCmd(a)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var st exitStatus
	if errors.As(err, &st) {
		return int(st)
	}
	// Anything else comes from cobra or pflag: the command line is wrong.
	fmt.Fprintf(a.stderr, "hearth: %v\nRun 'hearth --help' for usage.\n", err)
	return exitUsage
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "hearth",
		Short: "Hearth: a DNS resolver with parental controls",
		Long: "Hearth answers DNS for a home network, filtering what children may reach.\n\n" +
			"Configuration comes from hearth.yaml (./hearth.yaml, then /etc/hearth/hearth.yaml,\n" +
			"or --config), HEARTH_* environment variables and flags; see `hearth config default`.",
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(a.stderr)
			_ = cmd.Help()
			return exitStatus(exitUsage)
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.AddCommand(newServeCmd(a), newCheckConfigCmd(a), newConfigCmd(a), newVersionCmd(a))
	root.AddCommand(newListsCmd(a))
	root.AddCommand(newServicesCmd(a))
	root.AddCommand(newExplainCmd(a))
	root.AddCommand(newHelpSitesCmd(a))
	root.AddCommand(newReportCmd(a), newLogCmd(a))
	root.AddCommand(newDoctorCmd(a))
	root.AddCommand(newPasswdCmd(a))
	root.AddCommand(newReloadCmd(a))
	return root
}

// configFlags adds --config and the flags that override keys (--listen,
// --upstream) to cmd, and returns a function giving the LoadOptions they
// describe once parsed.
func (a *app) configFlags(cmd *cobra.Command) func() config.LoadOptions {
	var file string
	cmd.Flags().StringVarP(&file, "config", "c", "",
		"configuration file (default: ./hearth.yaml, then /etc/hearth/hearth.yaml, else built-in defaults)")
	config.AddFlags(cmd.Flags())
	return func() config.LoadOptions {
		return a.loadOptions(file, cmd.Flags())
	}
}

func (a *app) loadOptions(file string, fs *pflag.FlagSet) config.LoadOptions {
	return config.LoadOptions{File: file, Search: a.search, Flags: fs, Environ: a.environ}
}

// printProblems writes each problem in err on its own line.
func (a *app) printProblems(err error) {
	for _, p := range config.Problems(err) {
		fmt.Fprintln(a.stderr, p)
	}
}

// printWarnings writes the loader's warnings, one a line.
func (a *app) printWarnings(src config.Source) {
	for _, w := range src.Warnings {
		fmt.Fprintln(a.stderr, "warning: "+w)
	}
}

package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	hearthapp "github.com/hearth-dns/hearth/internal/app"
	"github.com/hearth-dns/hearth/internal/config"
)

// shutdownTimeout bounds the wait for in-flight queries at exit.
const shutdownTimeout = 5 * time.Second

func newServeCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the DNS server",
		Long: "serve answers DNS on the configured addresses until SIGINT or SIGTERM.\n" +
			"SIGHUP (or `hearth reload`) reloads the configuration; if the new one has\n" +
			"problems they are logged, shown on the dashboard, and the running\n" +
			"configuration stays.",
		Args: cobra.NoArgs,
	}
	opts := a.configFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.serve(cmd.Context(), opts())
	}
	return cmd
}

// serve loads the configuration, starts the server and runs it until a stop
// signal or the end of ctx. Problems before the server runs are printed to
// stderr (the log may not exist yet); afterwards they are logged.
func (a *app) serve(ctx context.Context, opts config.LoadOptions) error {
	cfg, src, err := config.Load(opts)
	if err != nil {
		a.printWarnings(src)
		a.printProblems(err)
		return exitStatus(exitError)
	}
	logs := newLogging(a.stdout, cfg.Log, a.isTerminal())
	log := logs.logger
	for _, w := range src.Warnings {
		log.Warn().Msg(w)
	}
	if src.EmptyFile {
		log.Warn().Str("config", src.File).Msg("the configuration file is empty: running on the built-in defaults")
	}

	// Subscribe before starting: a SIGHUP that arrives once "hearth started"
	// is logged must reload, not kill the process (its default action).
	sigs := a.signals
	if sigs == nil {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		defer signal.Stop(ch)
		sigs = ch
	}
	edit := configEditor(opts, src, cfg)
	if n, err := moveAssignments(edit, cfg, log); err != nil {
		log.Warn().Err(err).Msg("devices named on the dashboard stay in the state directory (not moved to hearth.yaml)")
	} else if n > 0 {
		if cfg, src, err = config.Load(opts); err != nil {
			a.printProblems(err)
			return exitStatus(exitError)
		}
	}
	h, err := hearthapp.Start(ctx, cfg, hearthapp.Options{Logger: log, EventOutput: logs.jsonOut, Version: version, ConfigFile: edit})
	if err != nil {
		fmt.Fprintf(a.stderr, "hearth: cannot start: %v\n", err)
		return exitStatus(exitError)
	}
	listen := cfg.Listen
	if addrs := h.Addrs(); len(addrs) > 0 {
		listen = make([]string, len(addrs))
		for i, ad := range addrs {
			listen[i] = ad.String()
		}
	}
	log.Info().
		Strs("listen", listen).
		Strs("upstreams", cfg.Upstreams.Servers).
		Strs("blocking", cfg.Policy.Blocking.Block).
		Int("devices", len(cfg.Policy.Devices)).
		Int("groups", len(cfg.Policy.Groups)).
		Str("timezone", cfg.Policy.Timezone).
		Bool("journal", cfg.Journal.Enabled).
		Str("config", src.String()).
		Str("version", version).
		Msg("hearth started")

	load := func() (*config.Config, config.Source, error) { return config.Load(opts) }
	return run(ctx, sigs, h, load, logs)
}

// server is what run needs of the running process.
type server interface {
	Reload(*config.Config) error
	Shutdown(context.Context) error
}

// reloadNoter is a server that keeps the last reload's outcome (for the
// dashboard's banner and /api/status).
type reloadNoter interface {
	NoteReload(error)
}

// reloadRequester is a server that also takes reload requests (from the
// dashboard): run serves them one at a time, as it does SIGHUP.
type reloadRequester interface {
	ReloadRequests() <-chan chan error
}

var _ server = (*hearthapp.Hearth)(nil)

// run serves until ctx ends or SIGINT/SIGTERM arrives, then shuts srv down,
// waiting at most shutdownTimeout. SIGHUP loads the configuration again:
// on any problem the running configuration stays and the problems are
// logged; otherwise srv.Reload takes it and the new log level applies.
// It returns nil after a clean shutdown.
func run(ctx context.Context, sigs <-chan os.Signal, srv server, load func() (*config.Config, config.Source, error), logs *logging) error {
	log := logs.logger
	var requests <-chan chan error
	if rr, ok := srv.(reloadRequester); ok {
		requests = rr.ReloadRequests()
	}
	noted := func(err error) error {
		if n, ok := srv.(reloadNoter); ok {
			n.NoteReload(err)
		}
		return err
	}
	for {
		select {
		case done := <-requests:
			done <- noted(reload(srv, load, logs))
		case <-ctx.Done():
			log.Info().Msg("shutting down")
			return shutdown(srv, logs)
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				noted(reload(srv, load, logs))
				continue
			}
			log.Info().Str("signal", sig.String()).Msg("shutting down")
			return shutdown(srv, logs)
		}
	}
}

func shutdown(srv server, logs *logging) error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		logs.logger.Error().Err(err).Msg("shutdown was not clean")
		return exitStatus(exitError)
	}
	logs.logger.Info().Msg("hearth stopped")
	return nil
}

// reload loads the configuration and hands it to srv, logging the outcome,
// which it returns.
func reload(srv server, load func() (*config.Config, config.Source, error), logs *logging) error {
	log := logs.logger
	cfg, src, err := load()
	for _, w := range src.Warnings {
		log.Warn().Msg(w)
	}
	if err != nil {
		var problems []string
		for _, p := range config.Problems(err) {
			problems = append(problems, p.Error())
		}
		log.Error().Strs("problems", problems).Str("config", src.String()).
			Msg("config reload failed; still running the previous configuration")
		return &hearthapp.RefusedError{Problems: problems}
	}
	if src.EmptyFile {
		err := fmt.Errorf("%s is empty: refused (an emptied file would switch filtering off); the running configuration stays", src.File)
		log.Error().Err(err).Msg("config reload failed; still running the previous configuration")
		return err
	}
	if err := srv.Reload(cfg); err != nil {
		log.Error().Err(err).Msg("config reload failed; still running the previous configuration")
		return err
	}
	logs.setLevel(cfg.Log.Level)
	if cfg.Log.Format != logs.format {
		log.Warn().Str("log.format", cfg.Log.Format).Msg("a new log.format takes effect at the next start")
	}
	log.Info().Str("config", src.String()).Msg("config reloaded")
	return nil
}

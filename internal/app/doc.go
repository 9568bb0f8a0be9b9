// Package app runs Hearth: it starts the policy engine with its saved state,
// the lists (one generation per lists setup, kept current in the background),
// the resolver, the journal and the dashboard; it reloads a configuration as
// one generation, in full or not at all; and it shuts them down in order. It
// also returns the list build's garbage to the system after each compile.
//
// cmd/hearth keeps flags, loading the configuration, signals and printing:
// it calls Start, Reload and Shutdown.
package app

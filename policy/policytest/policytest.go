// Package policytest builds a policy engine for the tests of the packages
// that use one (the resolver, the dashboard): a validated configuration on
// the built-in catalogue plus one inline list, "my-ads" (category "ads",
// blocking ads.example and its subdomains), bound and ready to decide.
package policytest

import (
	"testing"
	"time"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/clock"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/state"
)

// ListCategories are the categories of the inline list.
var ListCategories = []string{"ads"}

// Engine returns an engine for cfg (which must be valid) on clk, with its
// pauses and bonus time kept in memory on the same clock.
func Engine(t testing.TB, cfg policy.Config, clk clock.Clock) *policy.Engine {
	t.Helper()
	if errs := cfg.Validate(blocklists.Builtin(), ListCategories); len(errs) > 0 {
		t.Fatalf("policy config: %v", errs)
	}
	lists, err := blocklists.New(blocklists.Config{Refresh: time.Hour, Sources: []blocklists.SourceConfig{
		{Name: "my-ads", Category: "ads", Domains: []string{"||ads.example^"}},
	}}, blocklists.Options{Dir: t.TempDir(), Catalogue: blocklists.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := lists.Compile()
	if err != nil {
		t.Fatal(err)
	}
	// The store gets the clock too: overrides start at its Now.
	store, err := state.OpenOverrides("", clk)
	if err != nil {
		t.Fatal(err)
	}
	e, err := policy.NewEngine(cfg, policy.Options{ListCategories: ListCategories, Clock: clk, Overrides: store})
	if err != nil {
		t.Fatal(err)
	}
	e.SetLists(compiled)
	return e
}

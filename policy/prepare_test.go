package policy

import (
	"strings"
	"testing"
	"time"
)

// TestPrepareApply: a prepared policy changes nothing until applied; a bad
// one is refused at Prepare and the running one stays.
func TestPrepareApply(t *testing.T) {
	t.Parallel()
	withBlock := func(block ...string) Config {
		c := family()
		c.Blocking.Block = block
		return c
	}
	e, err := NewEngine(withBlock("old.example"), Options{ListCategories: listCats})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	blocked := func(name string) bool {
		d, err := e.DecideFor(name, "", now)
		if err != nil {
			t.Fatal(err)
		}
		return d.Action == Block
	}
	pp, err := e.Prepare(withBlock("new.example"), listCats)
	if err != nil {
		t.Fatal(err)
	}
	if !blocked("old.example") || blocked("new.example") {
		t.Fatal("Prepare changed the running policy")
	}
	if _, err := e.Prepare(withBlock("no-such-category"), listCats); err == nil || !strings.Contains(err.Error(), "blocking.block") {
		t.Fatalf("Prepare(bad) = %v, want a problem with blocking.block", err)
	}
	e.Apply(pp)
	if blocked("old.example") || !blocked("new.example") {
		t.Fatal("Apply did not put the prepared policy in force")
	}
	e.Apply(pp) // again: from a fresh compile, same outcome
	if !blocked("new.example") {
		t.Fatal("a second Apply lost the policy")
	}
}

package report

import (
	"bytes"
	"context"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/journal"
)

// TestFromJournal records the seeded week lookup by lookup (A and AAAA at
// every try) through a real journal, reads it back with the read-only
// Reader as `hearth report` does, and checks the report is the one the
// in-memory rows give.
func TestFromJournal(t *testing.T) {
	t.Parallel()
	loc := london(t)
	rows := rowsFrom(t, weekSince(loc), loc, weekSeeds)
	path := filepath.Join(t.TempDir(), "journal.db")

	// No retention or size limit: the seeded rows are in 2026, whatever
	// the clock says now.
	j := journal.Open(journal.Config{Path: path, Queue: 1 << 16, FlushInterval: 10 * time.Millisecond},
		journal.Options{Logger: zerolog.Nop()})
	for _, r := range rows {
		client := netip.MustParseAddr(r.Client)
		for i := range r.Attempts {
			for _, qtype := range []uint16{1, 28} { // A, AAAA
				j.Record(journal.Event{
					Time: r.Minute.Add(time.Duration(i) * time.Second), Device: r.Device, Group: r.Group,
					Client: client, Name: r.Name, Qtype: qtype, Action: r.Action, Reason: r.Reason,
					Mode: r.Mode, Category: r.Category, Service: r.Service, List: r.List, Rule: r.Rule,
					Window: r.Window, Response: r.Response,
				})
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := j.Close(ctx); err != nil {
		t.Fatalf("closing the journal: %v", err)
	}
	if st := j.Stats(); st.Dropped != 0 {
		t.Fatalf("the journal dropped %d lookups", st.Dropped)
	}

	reader, err := journal.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	opts := weekOptions(loc)
	got, err := Build(ctx, reader, opts)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Build(ctx, &fakeSource{rows: rows}, opts) // nothing dropped
	if err != nil {
		t.Fatal(err)
	}
	var gotJSON, wantJSON, gotText, wantText bytes.Buffer
	for _, w := range []struct {
		r    *Report
		j, x *bytes.Buffer
	}{{got, &gotJSON, &gotText}, {want, &wantJSON, &wantText}} {
		if err := w.r.JSON(w.j); err != nil {
			t.Fatal(err)
		}
		if err := w.r.Text(w.x); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(gotJSON.Bytes(), wantJSON.Bytes()) {
		t.Errorf("the report from the journal differs from the one from the rows:\n%s\nwant:\n%s", gotText.String(), wantText.String())
	}
	if len(got.Devices) != 4 || got.Devices[2].Name != "Tablet" || got.Devices[2].Blocked != 64 {
		t.Errorf("devices = %+v", got.Devices)
	}
}

package journal

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/hearth-dns/hearth/policy/verdict"
)

// BenchmarkWriteBatch is one commit of 5,000 busy rows (a second of the
// load script's 50,000 blocked lookups over 5,000 names), after the first:
// every row is an update.
func BenchmarkWriteBatch(b *testing.B) {
	st, err := openStore(context.Background(), filepath.Join(b.TempDir(), "journal.db"), 0)
	if err != nil {
		b.Fatal(err)
	}
	defer st.close()
	benchWriteBatch(b, st)
}

// benchWriteBatch is BenchmarkWriteBatch on the store st (SQLite, or
// PostgreSQL in postgres_bench_test.go).
func benchWriteBatch(b *testing.B, st *store) {
	ctx := context.Background()
	rows := make(map[key]*vals, 5000)
	client := netip.MustParseAddr("192.168.1.20")
	for i := range 5000 {
		k := key{minute: 29_000_000, device: "kid-laptop", client: client, name: fmt.Sprintf("p%d.roblox.com", i), action: ActionBlock}
		rows[k] = &vals{group: "kids", reason: verdict.ReasonRule, category: "gaming", service: "roblox", rule: "groups.kids.rules[0]", response: "nxdomain", a: 10}
	}
	if n, err := st.write(ctx, rows, nil); err != nil || n != 5000 {
		b.Fatalf("first write: %d new rows, %v", n, err)
	}
	b.ResetTimer()
	for b.Loop() {
		if n, err := st.write(ctx, rows, nil); err != nil || n != 0 {
			b.Fatalf("%d new rows, %v", n, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/5000, "µs/row")
	b.ReportMetric(5000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

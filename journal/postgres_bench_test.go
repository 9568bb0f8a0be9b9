//go:build postgres

package journal

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/hearth-dns/hearth/journal/pgtest"
	"github.com/hearth-dns/hearth/policy/verdict"
)

// BenchmarkWriteBatchPostgres is BenchmarkWriteBatch on PostgreSQL: one
// flush of 5,000 rows already stored (every row an update), in rows/s.
//
//	go test -tags postgres -run XXX -bench WriteBatchPostgres -benchtime 20x -count 3 ./journal/
func BenchmarkWriteBatchPostgres(b *testing.B) {
	st, err := openPostgres(context.Background(), pgtest.Database(b), 0)
	if err != nil {
		b.Fatal(err)
	}
	defer st.close()
	benchWriteBatch(b, st)
}

// BenchmarkWriteNewPostgres is a flush of 5,000 rows new to the database
// (a minute's new names), in rows/s.
func BenchmarkWriteNewPostgres(b *testing.B) {
	ctx := context.Background()
	st, err := openPostgres(ctx, pgtest.Database(b), 0)
	if err != nil {
		b.Fatal(err)
	}
	defer st.close()
	client := netip.MustParseAddr("192.168.1.20")
	minute := int64(29_000_000)
	for b.Loop() {
		minute++
		rows := make(map[key]*vals, 5000)
		for i := range 5000 {
			k := key{minute: minute, device: "kid-laptop", client: client, name: fmt.Sprintf("p%d.roblox.com", i), action: ActionBlock}
			rows[k] = &vals{group: "kids", reason: verdict.ReasonRule, category: "gaming", service: "roblox", rule: "groups.kids.rules[0]", response: "nxdomain", a: 1}
		}
		if n, err := st.write(ctx, rows, nil); err != nil || n != 5000 {
			b.Fatalf("%d new rows, %v", n, err)
		}
	}
	b.ReportMetric(5000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

//go:build redis

package cluster

import (
	"context"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/cluster/redistest"
	"github.com/hearth-dns/hearth/policy/state"
)

// testNode is one Hearth's shared stores and its Node.
type testNode struct {
	name    string
	dir     string
	ov      *state.Overrides
	budgets *state.Budgets
	named   *state.Assignments
	seen    *state.Registry
	renamed chan struct{} // every OnReplace of named
	node    *Node
	changed chan struct{} // signalled (never blocking) on every OnChange
}

// connectedPair starts nodes a and b on url and waits until both are
// connected.
func connectedPair(t *testing.T, a, b, url string) (*testNode, *testNode) {
	t.Helper()
	na, nb := startNode(t, a, url, t.TempDir()), startNode(t, b, url, t.TempDir())
	na.waitStatus(t, 5*time.Second, "A connected", func(s Status) bool { return s.Connected })
	nb.waitStatus(t, 5*time.Second, "B connected", func(s Status) bool { return s.Connected })
	return na, nb
}

func startNode(t *testing.T, name, url, dir string) *testNode {
	t.Helper()
	ov, err := state.OpenOverrides(filepath.Join(dir, state.OverridesFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := state.OpenBudgets(filepath.Join(dir, state.BudgetsFile))
	if err != nil {
		t.Fatal(err)
	}
	as, err := state.OpenAssignments(filepath.Join(dir, state.AssignmentsFile))
	if err != nil {
		t.Fatal(err)
	}
	seen := state.NewRegistry("")
	tn := &testNode{name: name, dir: dir, ov: ov, budgets: b, named: as, seen: seen, changed: make(chan struct{}, 1), renamed: make(chan struct{}, 1)}
	ov.OnChange(func([]state.Override) { signal(tn.changed) })
	as.OnReplace(func() { signal(tn.renamed) })
	n, err := Start(Options{URL: url, Node: name, Dir: dir, Overrides: ov, Assignments: as, Budgets: b, Devices: seen, Log: zerolog.New(zerolog.NewTestWriter(t))})
	if err != nil {
		t.Fatal(err)
	}
	tn.node = n
	t.Cleanup(func() { n.Close() })
	return tn
}

// signal wakes a waiter on ch without ever blocking the store's caller.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// waitFor waits, at most limit, until ok holds for tn's overrides, looking
// again at each OnChange.
func (tn *testNode) waitFor(t *testing.T, limit time.Duration, what string, ok func([]state.Override) bool) {
	t.Helper()
	deadline := time.After(limit)
	for !ok(tn.ov.Snapshot()) {
		select {
		case <-tn.changed:
		case <-deadline:
			t.Fatalf("%s: not within %v: %s has %s", what, limit, tn.name, ids(tn.ov.Snapshot()))
		}
	}
}

// waitStatus waits, at most limit, for the node's status to satisfy ok.
func (tn *testNode) waitStatus(t *testing.T, limit time.Duration, what string, ok func(Status) bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok(tn.node.Status()) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %+v", what, limit, tn.node.Status())
		}
		time.Sleep(10 * time.Millisecond) // polling another goroutine's status
	}
}

func ids(list []state.Override) string {
	var out []string
	for _, o := range list {
		out = append(out, o.ID)
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

func has(id string) func([]state.Override) bool {
	return func(l []state.Override) bool {
		return slices.ContainsFunc(l, func(o state.Override) bool { return o.ID == id })
	}
}

func pause(t *testing.T, tn *testNode, group string) state.Override {
	t.Helper()
	ov, err := tn.ov.Add(state.Override{Kind: state.OverridePause, Group: group, Until: time.Now().Add(time.Hour), By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return ov
}

// TestPauseReachesOtherNode: a pause added on A is in B's overrides within
// a second; cancelled on B, it is gone from A; both see each other.
func TestPauseReachesOtherNode(t *testing.T) {
	srv := redistest.Start(t)
	a, b := connectedPair(t, "pi-kitchen", "pi-attic", srv.URL(0))

	p := pause(t, a, "kids")
	b.waitFor(t, time.Second, "pause from A on B", has(p.ID))
	got := b.ov.Snapshot()[0]
	if got.Group != "kids" || !got.Until.Equal(p.Until) {
		t.Errorf("B has %+v, want %+v", got, p)
	}
	if err := b.ov.Cancel(p.ID); err != nil {
		t.Fatal(err)
	}
	a.waitFor(t, time.Second, "cancel from B on A", func(l []state.Override) bool { return !has(p.ID)(l) })

	a.waitStatus(t, 3*time.Second, "A sees B", func(s Status) bool { return slices.Equal(s.Peers, []string{"pi-attic"}) })
	if s := a.node.Status(); s.Node != "pi-kitchen" || s.Redis != srv.URL(0) || s.Queued != 0 {
		t.Errorf("A's status = %+v", s)
	}
	if a.node.Status().NameTaken {
		t.Error("A's name taken, with distinct names")
	}
	// A third process with A's name: both are told, and its changes still
	// reach A (told apart by instance, not by name).
	twin := startNode(t, "pi-kitchen", srv.URL(0), t.TempDir())
	a.waitStatus(t, 5*time.Second, "A told of its twin", func(s Status) bool { return s.NameTaken })
	p3 := pause(t, twin, "teens")
	a.waitFor(t, time.Second, "the twin's pause on A", has(p3.ID))
	p2, err := ProbeRedis(context.Background(), srv.URL(0), a.dir)
	if err != nil || !slices.Equal(p2.Peers, []string{"pi-attic", "pi-kitchen"}) || p2.Queued != 0 {
		t.Errorf("ProbeRedis = %+v, %v", p2, err)
	}
}

// TestDeviceNameReachesOtherNode: a device named on A is named on B within
// a second; removed on B, it is gone from A.
func TestDeviceNameReachesOtherNode(t *testing.T) {
	srv := redistest.Start(t)
	a, b := connectedPair(t, "a", "b", srv.URL(2))
	tv := state.Assignment{Key: "mac:3c:22:fb:12:34:56", Name: "Living room TV", Group: "kids", By: "dashboard", At: time.Now().UTC().Round(0)}
	if err := a.named.Set(tv); err != nil {
		t.Fatal(err)
	}
	waitNamed := func(tn *testNode, what string, ok func([]state.Assignment) bool) {
		t.Helper()
		deadline := time.After(time.Second)
		for !ok(tn.named.List()) {
			select {
			case <-tn.renamed:
			case <-deadline:
				t.Fatalf("%s: not within 1 s: %+v", what, tn.named.List())
			}
		}
	}
	waitNamed(b, "the name on B", func(l []state.Assignment) bool { return len(l) == 1 && l[0].Name == tv.Name && l[0].Group == "kids" })
	if err := b.named.Remove(tv.Key); err != nil {
		t.Fatal(err)
	}
	waitNamed(a, "the removal on A", func(l []state.Assignment) bool { return len(l) == 0 })
}

// TestBudgetMinutesCountOnce: minutes marked on both nodes for one owner
// count once on both.
func TestBudgetMinutesCountOnce(t *testing.T) {
	srv := redistest.Start(t)
	a := startNode(t, "a", srv.URL(1), t.TempDir())
	b := startNode(t, "b", srv.URL(1), t.TempDir())
	ca := a.budgets.Counter("person:alex", "gaming")
	cb := b.budgets.Counter("person:alex", "gaming")
	const day = int32(2026*512 + 12*32 + 4)
	for m := 600; m < 610; m++ { // 10:00-10:09 on A
		ca.Mark(day, m)
	}
	for m := 605; m < 615; m++ { // 10:05-10:14 on B: 5 minutes in common
		cb.Mark(day, m)
	}
	ctx := context.Background()
	for _, n := range []*testNode{a, b, a} {
		if err := n.node.SyncNow(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if ua, ub := ca.Used(day), cb.Used(day); ua != 15 || ub != 15 {
		t.Errorf("used: A %d, B %d; want 15 on both", ua, ub)
	}
	// A minute marked again on A after the merge is not new there.
	if ca.Mark(day, 612) {
		t.Error("minute 612 (used on B) counted again on A")
	}
}

// TestDevicesSeenMerged: a device seen only by A is listed by B after a
// sync of each, with A's sighting; one seen by both keeps the later.
func TestDevicesSeenMerged(t *testing.T) {
	srv := redistest.Start(t)
	a := startNode(t, "a", srv.URL(4), t.TempDir())
	b := startNode(t, "b", srv.URL(4), t.TempDir())
	t0 := time.Now().UTC().Truncate(time.Second)
	a.seen.Observe("", nil, netip.MustParseAddr("192.168.1.7"), "tv", t0.Add(-time.Minute))
	a.seen.Observe("", nil, netip.MustParseAddr("192.168.1.9"), "", t0.Add(-time.Hour))
	b.seen.Observe("", nil, netip.MustParseAddr("192.168.1.9"), "", t0)
	ctx := context.Background()
	for _, n := range []*testNode{a, b, a} {
		if err := n.node.SyncNow(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []*testNode{a, b} {
		got := n.seen.List()
		if len(got) != 2 || got[0].Key != "ip:192.168.1.9" || !got[0].LastSeen.Equal(t0) || !got[0].FirstSeen.Equal(t0.Add(-time.Hour)) ||
			got[1].Key != "ip:192.168.1.7" || got[1].Lease != "tv" {
			t.Errorf("%s lists %+v", n.name, got)
		}
	}
}

// TestOutage: with Redis stopped both keep their overrides; a pause cancelled
// and another added on A meanwhile reach B once Redis is back (a Redis that
// lost its data: the nodes write their state back, the cancel wins).
func TestOutage(t *testing.T) {
	srv := redistest.Start(t)
	a, b := connectedPair(t, "a", "b", srv.URL(0))
	p1, p0 := pause(t, a, "kids"), pause(t, a, "teens")
	b.waitFor(t, time.Second, "pauses on B", func(l []state.Override) bool { return has(p1.ID)(l) && has(p0.ID)(l) })

	srv.Stop()
	a.waitStatus(t, 5*time.Second, "A degraded", func(s Status) bool { return !s.Connected && !s.DegradedSince.IsZero() })
	if err := a.ov.Cancel(p1.ID); err != nil {
		t.Fatal(err)
	}
	p2 := pause(t, a, "everyone-else")
	if s := a.node.Status(); s.Queued != 2 || s.LastError == "" {
		t.Errorf("A while Redis is down: %+v, want 2 changes queued and an error", s)
	}
	if got := ids(b.ov.Snapshot()); got != ids([]state.Override{p0, p1}) {
		t.Errorf("B while Redis is down: %s, want its last state", got)
	}

	srv.Restart()
	b.waitFor(t, 5*time.Second, "A's changes on B after the outage", func(l []state.Override) bool {
		return has(p2.ID)(l) && has(p0.ID)(l) && !has(p1.ID)(l)
	})
	a.waitStatus(t, 5*time.Second, "A's queue sent", func(s Status) bool { return s.Connected && s.Queued == 0 })
	if got, want := ids(a.ov.Snapshot()), ids([]state.Override{p0, p2}); got != want {
		t.Errorf("A after the outage: %s, want %s", got, want)
	}
}

// TestRestartKeepsQueue: A, restarted while Redis is down, keeps its queued
// changes and sends them when Redis is back: a cancel (which B, writing its
// state back to the emptied Redis, would otherwise undo) and an add.
func TestRestartKeepsQueue(t *testing.T) {
	srv := redistest.Start(t)
	dirA := t.TempDir()
	a := startNode(t, "a", srv.URL(0), dirA)
	b := startNode(t, "b", srv.URL(0), t.TempDir())
	a.waitStatus(t, 5*time.Second, "A connected", func(s Status) bool { return s.Connected })
	p := pause(t, a, "kids")
	b.waitFor(t, time.Second, "pause on B", has(p.ID))
	srv.Stop()
	a.waitStatus(t, 5*time.Second, "A degraded", func(s Status) bool { return !s.Connected })
	if err := a.ov.Cancel(p.ID); err != nil {
		t.Fatal(err)
	}
	p2 := pause(t, a, "teens")
	a.node.Close()

	a2 := startNode(t, "a", srv.URL(0), dirA)
	if s := a2.node.Status(); s.Queued != 2 {
		t.Fatalf("restarted A: %d queued, want 2", s.Queued)
	}
	srv.Restart()
	b.waitFor(t, 5*time.Second, "A's changes queued across its restart, on B", func(l []state.Override) bool {
		return has(p2.ID)(l) && !has(p.ID)(l)
	})
	a2.waitStatus(t, 5*time.Second, "A's queue sent", func(s Status) bool { return s.Connected && s.Queued == 0 })
	if got := ids(a2.ov.Snapshot()); got != p2.ID {
		t.Errorf("A after: %s, want %s", got, p2.ID)
	}
}

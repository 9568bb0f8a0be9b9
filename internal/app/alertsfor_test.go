package app

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
)

// TestAlertsPerPersonAndGroup: real queries from two devices of one child
// make one alert per hour that names the child with the count of both;
// alerts.for turns gaming on for the kids' group and bypass off for alex
// (the person beats the group); a device of another group keeps the
// household's events.
func TestAlertsPerPersonAndGroup(t *testing.T) {
	hookURL, got := webhookReceiver(t)
	up := upstreamAnswering(t, "192.0.2.1")
	dir := t.TempDir()
	yaml := testHead(dir, up.Addr) +
		"devices:\n  - {name: alex-tablet, ip: [127.0.0.2]}\n  - {name: alex-phone, ip: [127.0.0.5]}\n" +
		"  - {name: mia-tablet, ip: [127.0.0.6], group: kids}\n  - {name: dad-laptop, ip: [127.0.0.7]}\n" +
		"people:\n  - {name: alex, devices: [alex-tablet, alex-phone], group: kids}\n" +
		"groups:\n  kids:\n    rules:\n      - {block: [random-video-chat, gaming]}\n    bypass_protection: true\n" +
		"  default:\n    rules:\n      - {block: [gaming]}\n    bypass_protection: true\n" +
		"journal: {enabled: false}\nweb: {enabled: false}\n" +
		"alerts:\n  webhook: {url: \"" + hookURL + "\"}\n" +
		"  for:\n    kids: {blocked: [random-video-chat, gaming]}\n    alex: {bypass: false}\n"
	cfg := loadYAML(t, dir, yaml)
	london, _ := time.LoadLocation("Europe/London")
	clk := clocktest.New(time.Date(2026, 12, 4, 21, 3, 0, 0, london))
	h, err := Start(context.Background(), cfg, Options{Logger: zerolog.Nop(), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Shutdown(context.Background())
	addr := h.Addrs()[0].String()
	for _, q := range [][2]string{
		{"127.0.0.2", "omegle.com"}, {"127.0.0.5", "omegle.com"}, {"127.0.0.5", "ome.tv"}, // alex: one batch, 3
		{"127.0.0.2", "roblox.com"}, // alex: gaming, from the kids' group
		{"127.0.0.2", "dns.google"}, // alex: bypass off for alex
		{"127.0.0.6", "dns.google"}, // mia: bypass on (household)
		{"127.0.0.7", "roblox.com"}, // dad: gaming is not the household's
		{"127.0.0.7", "dns.google"}, // dad: bypass on
	} {
		askFrom(t, q[0], addr, q[1])
	}
	clk.WaitTimers(1, 5*time.Second)
	clk.Set(time.Date(2026, 12, 4, 22, 0, 0, 0, london))
	var texts []string
	owners := map[string]string{}
	for range 4 {
		select {
		case a := <-got:
			texts = append(texts, a.Text)
			owners[a.Text] = a.Owner
		case <-time.After(10 * time.Second):
			t.Fatalf("only %q arrived", texts)
		}
	}
	select {
	case a := <-got:
		t.Errorf("one more: %q", a.Text)
	case <-time.After(300 * time.Millisecond):
	}
	slices.Sort(texts)
	want := []string{
		"alex tried Random video chat (Omegle and its successors) 3 times between 21:00 and 22:00",
		"alex tried Roblox (Gaming) once between 21:00 and 22:00",
		"dad-laptop tried a way round the filter (Public DNS-over-HTTPS resolvers) once between 21:00 and 22:00; it was blocked",
		"mia-tablet tried a way round the filter (Public DNS-over-HTTPS resolvers) once between 21:00 and 22:00; it was blocked",
	}
	if !slices.Equal(texts, want) {
		t.Errorf("got\n%q\nwant\n%q", texts, want)
	}
	if o := owners[want[0]]; o != "alex" {
		t.Errorf("owner %q, want alex", o)
	}
}

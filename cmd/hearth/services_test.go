package main

import (
	"context"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/blocklists"
)

func TestServices(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings, in this order
		stderr []string // substrings
	}{
		{
			name: "all", code: 0,
			stdout: []string{
				"chat: Chat and messaging\n", "  discord ", " Discord ", " 22 domains\n", "  viber ", " 1 domain\n",
				"gaming: Gaming\n", "  roblox ", "  twitch ",
				"social: Social media\n", "  snapchat ",
				"video: Video and streaming\n", "  twitch ", "  youtube ",
				"adult: Adult content\n", "  blocklistproject-porn, licence ",
				"\n    https://blocklistproject.github.io/Lists/adguard/porn-ags.txt\n",
				"gambling: Gambling\n", "malware: Malware and phishing\n",
				"Each domain also covers its subdomains.",
			},
		},
		{
			name: "service", args: []string{"minecraft"}, code: 0,
			stdout: []string{"minecraft: Minecraft\n", "categories: gaming\n",
				"domains (4; each also covers its subdomains):\n", "  minecraft.net\n", "  mojang.com\n",
				"sources:\n", "  https://www.minecraft.net/\n"},
		},
		{
			name: "service with background hosts and its own settings", args: []string{"nintendo"}, code: 0,
			stdout: []string{"nintendo: Nintendo online (Switch, eShop)\n",
				"background (3; looked up with nobody playing, not counted by a daily budget):\n", "  conntest.nintendowifi.net\n",
				"its own parental controls:\n", "  Nintendo Switch Parental Controls\n    https://www.nintendo.com/us/switch/parental-controls/\n",
				"sources:\n"},
		},
		{
			name: "game-chat category", args: []string{"game-chat"}, code: 0,
			stdout: []string{"game-chat: Game chat\n", "services (4):\n", "  vivox ", "  discord-voice ", "  epic-voice ", "  riot-chat "},
		},
		{
			name: "service in two categories", args: []string{"Snapchat"}, code: 0,
			stdout: []string{"snapchat: Snapchat\n", "categories: chat, social\n"},
		},
		{
			name: "category", args: []string{"video"}, code: 0,
			stdout: []string{"video: Video and streaming\n", "services (5):\n", "  twitch ", "  youtube ", "  prime-video "},
		},
		{
			name: "list category", args: []string{"malware"}, code: 0,
			stdout: []string{"malware: Malware and phishing\n", "public lists (2), downloaded when the category is blocked:\n",
				"  hagezi-tif, licence GPL-3.0\n", "    https://raw.githubusercontent.com/hagezi/dns-blocklists/main/adblock/tif.txt\n",
				"    homepage: https://github.com/hagezi/dns-blocklists\n"},
		},
		{
			name: "unknown name suggests", args: []string{"discrod"}, code: 1,
			stderr: []string{`hearth: "discrod" is not a catalogue category or service (did you mean "discord"?)`,
				"Run 'hearth services' to see them all."},
		},
		{
			name: "informal name suggests", args: []string{"fortnite"}, code: 1,
			stderr: []string{`(did you mean "epic-games"?)`},
		},
		{
			name: "two names is usage", args: []string{"discord", "roblox"}, code: 2,
			stderr: []string{"accepts at most 1 arg"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, stdout, stderr := testApp()
			code := execute(context.Background(), a, append([]string{"services"}, tt.args...))
			if code != tt.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			out := stdout.String()
			for _, w := range tt.stdout {
				i := strings.Index(out, w)
				if i < 0 {
					t.Errorf("stdout lacks %q (in order):\n%s", w, stdout)
					break
				}
				out = out[i+len(w):]
			}
			if len(tt.stdout) == 0 && stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if len(tt.stderr) == 0 && stderr.Len() != 0 {
				t.Errorf("stderr = %q, want nothing", stderr)
			}
		})
	}
}

// TestServicesListsEverything checks that the listing names every category,
// service and public list, and that lines fit a terminal except URLs.
func TestServicesListsEverything(t *testing.T) {
	t.Parallel()
	a, stdout, _ := testApp()
	if code := execute(context.Background(), a, []string{"services"}); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	out := stdout.String()
	c := blocklists.Builtin()
	for _, cat := range c.Categories {
		if !strings.Contains(out, cat.ID+": "+cat.Name+"\n") {
			t.Errorf("category %s missing", cat.ID)
		}
		for _, l := range cat.Lists {
			if !strings.Contains(out, "    "+l.URL+"\n") {
				t.Errorf("list %s missing", l.URL)
			}
		}
	}
	for _, s := range c.Services {
		if !strings.Contains(out, "  "+s.ID+" ") {
			t.Errorf("service %s missing", s.ID)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 80 && !strings.Contains(line, "https://") {
			t.Errorf("line longer than 80 columns: %q", line)
		}
	}
	// Deterministic: the same output twice.
	a2, stdout2, _ := testApp()
	execute(context.Background(), a2, []string{"services"})
	if stdout2.String() != out {
		t.Error("output differs between runs")
	}
}

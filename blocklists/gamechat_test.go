package blocklists

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// The game-chat category holds the chat hosts that games run apart from
// the game, and never a game's own hosts: blocking game-chat while gaming
// is allowed must leave every game playable (docs/game-chat.md).
func TestGameChatLeavesGames(t *testing.T) {
	t.Parallel()
	c := Builtin()
	chat := c.ServicesIn(GameChatCategory)
	var ids []string
	for _, s := range chat {
		ids = append(ids, s.ID)
		if len(s.Categories) != 1 {
			// In gaming too, "gaming except minecraft" or bonus time for
			// gaming would lift the chat with the game.
			t.Errorf("game-chat service %q is also in %v: keep it in game-chat only", s.ID, s.Categories)
		}
	}
	for _, want := range []string{"vivox", "discord-voice", "epic-voice", "riot-chat"} {
		if !slices.Contains(ids, want) {
			t.Errorf("game-chat lacks %q (has %v)", want, ids)
		}
	}
	// No game-chat domain is, or covers, a domain of a game or platform.
	for _, g := range c.ServicesIn("gaming") {
		for _, gd := range g.Domains {
			for _, s := range chat {
				for _, d := range s.Domains {
					if gd == d || strings.HasSuffix(gd, "."+d) {
						t.Errorf("game-chat service %q domain %q covers %q of %q: blocking chat would break the game", s.ID, d, gd, g.ID)
					}
				}
			}
		}
	}
	// The names a game needs to sign in, find a match and download are
	// not game-chat. Each is the service's own host from its sources.
	own := map[string]string{
		"auth.riotgames.com":                              "riot-games",
		"clientconfig.rpg.riotgames.com":                  "riot-games",
		"account-public-service-prod03.ol.epicgames.com":  "epic-games",
		"fortnite-public-service-prod11.ol.epicgames.com": "epic-games",
		"api.epicgames.dev":                               "epic-games",
		"discord.com":                                     "discord",
		"gateway.discord.gg":                              "discord",
	}
	for name, svc := range own {
		got, ok := c.ServiceFor(name)
		if !ok || got.ID != svc {
			t.Errorf("ServiceFor(%q) = %v, want %q", name, got, svc)
		}
		for _, s := range chat {
			for _, d := range s.Domains {
				if name == d || strings.HasSuffix(name, "."+d) {
					t.Errorf("%q (a host of %s) is covered by game-chat %q", name, svc, s.ID)
				}
			}
		}
	}
	// A chat host under a game's domain belongs to the chat service first.
	if got, _ := c.ServiceFor("euw1.chat.si.riotgames.com"); got == nil || got.ID != "riot-chat" {
		t.Errorf("ServiceFor(euw1.chat.si.riotgames.com) = %v, want riot-chat", got)
	}
}

// Every parental-controls link of the built-in catalogue is https (the
// loader checks it) and every game the report's "chat in games" starter
// names that has a page of its own carries it.
func TestCatalogueSettings(t *testing.T) {
	t.Parallel()
	c := Builtin()
	for _, id := range []string{"roblox", "epic-games", "minecraft", "xbox-live", "playstation", "nintendo"} {
		s, ok := c.Service(id)
		if !ok {
			t.Fatalf("no service %q", id)
		}
		if len(s.Settings) == 0 {
			t.Errorf("service %q has no settings link", id)
		}
		for _, st := range s.Settings {
			if !strings.HasPrefix(st.URL, "https://") || st.Name == "" {
				t.Errorf("service %q: setting %+v", id, st)
			}
		}
	}
}

// The built-in background hosts (downloads, system updates, connection
// tests, telemetry) are marked in a name's Match; a game's play hosts and
// the game-chat hosts are not (a budget counts play, and chat is blocked).
func TestBuiltinBackgroundHosts(t *testing.T) {
	t.Parallel()
	l, err := New(Config{Refresh: time.Hour}, Options{Catalogue: Builtin(), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if !c.HasBackground {
		t.Fatal("no background source")
	}
	for name, want := range map[string]bool{
		// Background, per the sources in catalogue.yaml.
		"lancache.steamcontent.com":         true,
		"client-download.steampowered.com":  true,
		"assets1.xboxlive.com":              true,
		"dlassets.xboxlive.com":             true,
		"gs2.ww.prod.dl.playstation.net":    true,
		"conntest.nintendowifi.net":         true,
		"ctest.cdn.nintendo.net":            true,
		"sun.hac.lp1.d4c.nintendo.net":      true,
		"download.epicgames.com":            true,
		"epicgames-download1.akamaized.net": true,
		"datarouter.ol.epicgames.com":       true,
		"l3cdn.riotgames.com":               true,
		"worldwide.l3cdn.riotgames.com":     true,
		// Playing, browsing and signing in: counted.
		"store.steampowered.com": false,
		"steamcommunity.com":     false,
		"www.xbox.com":           false,
		"account-public-service-prod03.ol.epicgames.com":  false,
		"fortnite-public-service-prod11.ol.epicgames.com": false,
		"www.roblox.com":        false,
		"auth.riotgames.com":    false,
		"www.playstation.com":   false,
		"accounts.nintendo.com": false,
		// Game chat: blocked by its own rule, never background.
		"mtu1xp.vivox.com":           false,
		"euw1.chat.si.riotgames.com": false,
		"eu-west93.discord.media":    false,
	} {
		if got := c.Matcher.Match(name).Block.Has(c.Background); got != want {
			t.Errorf("%s: background %v, want %v", name, got, want)
		}
	}
}

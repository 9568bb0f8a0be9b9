package resolver

import (
	"fmt"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/state"
)

// "Gaming allowed 16:00-19:00, game chat never" (docs/game-chat.md), over
// real DNS: inside the gaming window a kid's games resolve while their chat
// hosts get NXDOMAIN with an EDE naming game-chat; outside it the game is
// blocked as gaming, chat hosts under a game's domain with it.

// gameChatHousehold is the kids group of docs/game-chat.md's example.
func gameChatHousehold() policy.Config {
	return policy.Config{
		Timezone: "Europe/London",
		Blocking: policy.BlockingConfig{Response: policy.ResponseNXDomain, TTL: 10 * time.Second},
		Help:     policy.HelpConfig{Countries: []string{"gb"}},
		Identify: policy.IdentifyConfig{Refresh: time.Minute},
		Devices:  []policy.DeviceConfig{{Name: "alex-tablet", IP: []string{kidIP}, Group: "kids"}},
		Groups: map[string]policy.GroupConfig{
			"default": {},
			"kids": {Rules: []policy.RuleConfig{
				{Block: []string{"gaming"}, Outside: []string{"daily 16:00-19:00"}},
				{Block: []string{"game-chat"}},
			}},
		},
	}
}

// gameChatCases are the games for which docs/game-chat.md says blocking
// game-chat works: their chat hosts (as the sources of blocklists/
// catalogue.yaml name them) and hosts of the game itself that must keep
// resolving. service is the game-chat service each chat host belongs to.
var gameChatCases = []struct {
	game  string
	chat  map[string]string // host -> game-chat service
	own   []string
	owner string // the gaming service of own (blocked outside the window)
}{
	{"games on Epic Online Services voice rooms",
		map[string]string{
			"signaling-service-prod.euc1.live.rtcp.on.epicgames.com": "epic-voice",
			"example-of-url-us-east-1.rtcp.on.epicgames.com":         "epic-voice",
		},
		[]string{"account-public-service-prod03.ol.epicgames.com", "fortnite-public-service-prod11.ol.epicgames.com",
			"www.fortnite.com"}, "epic-games"},
	{"League of Legends and Valorant (Riot chat)",
		map[string]string{"euw1.chat.si.riotgames.com": "riot-chat", "na2.chat.si.riotgames.com": "riot-chat"},
		[]string{"auth.riotgames.com", "clientconfig.rpg.riotgames.com", "playvalorant.com", "leagueoflegends.com"}, "riot-games"},
	{"any game with Vivox voice",
		map[string]string{"unity.vivox.com": "vivox", "vdx5.vivox.com": "vivox"},
		nil, ""},
	{"Discord voice over a game",
		map[string]string{"eu-west93.discord.media": "discord-voice", "c-atl10-84d66929.discord.media": "discord-voice"},
		nil, ""},
}

func gameChatText(svc, domain string) string {
	return fmt.Sprintf("hearth: game-chat/%s ||%s^ (groups.kids.rules[1])", svc, domain)
}

func TestGameChatBlockedGameAllowed(t *testing.T) {
	t.Parallel()
	// Thursday 17:00: inside the gaming window.
	h := policyServer(t, gameChatHousehold(), thursday(17, 0, 0))
	domains := map[string]string{"epic-voice": "rtcp.on.epicgames.com", "vivox": "vivox.com",
		"riot-chat": "chat.si.riotgames.com", "discord-voice": "discord.media"}
	for _, c := range gameChatCases {
		for host, svc := range c.chat {
			for _, tcp := range []bool{false, true} {
				var opts []qopt
				if tcp {
					opts = append(opts, overTCP())
				}
				m := h.ask(t, kidIP, host+".", dns.TypeA, opts...)
				wantBlocked(t, fmt.Sprintf("%s: %s (tcp %v)", c.game, host, tcp), m, "NXDOMAIN: ", gameChatText(svc, domains[svc]))
			}
		}
		for _, host := range c.own {
			wantPassed(t, c.game+": "+host, h.ask(t, kidIP, host+".", dns.TypeA),
				"NOERROR: "+host+". 300 IN A 192.0.2.1")
			wantPassed(t, c.game+": "+host+" AAAA", h.ask(t, kidIP, host+".", dns.TypeAAAA),
				"NOERROR: "+host+". 300 IN AAAA 2001:db8::1")
		}
	}
	// Discord's text chat is chat, not game chat: it resolves.
	wantPassed(t, "discord.com", h.ask(t, kidIP, "discord.com.", dns.TypeA), "NOERROR: discord.com. 300 IN A 192.0.2.1")
	// A guest (the default group) is untouched.
	wantPassed(t, "guest vivox", h.ask(t, guestIP, "mtu1xp.vivox.com.", dns.TypeA), "NOERROR: mtu1xp.vivox.com. 300 IN A 192.0.2.1")
}

func TestGameChatOutsideGamingWindow(t *testing.T) {
	t.Parallel()
	// Thursday 20:00: gaming is over; the game is blocked as gaming, and a
	// chat host under a game's domain is blocked by the first rule that
	// names it: gaming (riot-games covers riotgames.com).
	h := policyServer(t, gameChatHousehold(), thursday(20, 0, 0))
	gaming := "hearth: gaming/riot-games ||riotgames.com^ (groups.kids.rules[0], allowed daily 16:00-19:00)"
	wantBlocked(t, "auth.riotgames.com", h.ask(t, kidIP, "auth.riotgames.com.", dns.TypeA), "NXDOMAIN: ", gaming)
	// Rule order decides which reason is shown; either way it is blocked.
	m := h.ask(t, kidIP, "euw1.chat.si.riotgames.com.", dns.TypeA)
	if got := summary(m); got != "NXDOMAIN: " {
		t.Errorf("riot chat outside the window: %q", got)
	}
	wantBlocked(t, "vivox outside the window", h.ask(t, kidIP, "unity.vivox.com.", dns.TypeA), "NXDOMAIN: ",
		gameChatText("vivox", "vivox.com"))
}

func TestGameChatNotLiftedByGamingBonus(t *testing.T) {
	t.Parallel()
	// Thursday 20:00, gaming closed; 30 minutes of bonus gaming lift the
	// gaming rule, not the game-chat rule: the game resolves, the chat
	// under the game's own domain (riot-chat under riotgames.com) stays
	// blocked, now as game-chat.
	now := thursday(20, 0, 0)
	h := policyServer(t, gameChatHousehold(), now)
	if _, err := h.engine.Overrides().Add(state.Override{Kind: state.OverrideBonus, Group: "kids", What: "gaming", Until: now.Add(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	wantPassed(t, "auth.riotgames.com with bonus", h.ask(t, kidIP, "auth.riotgames.com.", dns.TypeA),
		"NOERROR: auth.riotgames.com. 300 IN A 192.0.2.1")
	wantBlocked(t, "riot chat with bonus", h.ask(t, kidIP, "euw1.chat.si.riotgames.com.", dns.TypeA), "NXDOMAIN: ",
		gameChatText("riot-chat", "chat.si.riotgames.com"))
	wantBlocked(t, "vivox with bonus", h.ask(t, kidIP, "unity.vivox.com.", dns.TypeA), "NXDOMAIN: ",
		gameChatText("vivox", "vivox.com"))
}

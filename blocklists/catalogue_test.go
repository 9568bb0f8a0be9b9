package blocklists

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/internal/suggest"
)

func TestBuiltinCatalogue(t *testing.T) {
	c, err := ParseCatalogue(catalogueYAML)
	if err != nil {
		t.Fatalf("embedded catalogue.yaml:\n%v", err)
	}
	if Builtin() == nil || len(Builtin().Services) != len(c.Services) {
		t.Fatal("Builtin() differs from the parsed file")
	}
	if Builtin() != Builtin() {
		t.Error("Builtin() parses more than once")
	}
	domains := 0
	for _, s := range c.Services {
		domains += len(s.Domains)
	}
	t.Logf("%d categories, %d services, %d domains", len(c.Categories), len(c.Services), domains)
	// Every service and category list is a source in the matcher.
	lists := 0
	for _, cat := range c.Categories {
		lists += len(cat.Lists)
	}
	if n := len(c.Services) + lists; n > MaxSources/2 {
		t.Errorf("%d catalogue sources leave too few of the %d for configured lists", n, MaxSources)
	}
}

// TestCatalogueRequiredServices checks the services families ask for first.
func TestCatalogueRequiredServices(t *testing.T) {
	want := map[string][]string{
		"chat": {"discord", "whatsapp", "telegram", "snapchat", "facebook-messenger", "signal", "kik",
			"viber", "skype", "random-video-chat", "wizz", "yubo"},
		"gaming": {"roblox", "epic-games", "minecraft", "steam", "xbox-live", "playstation", "nintendo",
			"ea", "riot-games", "blizzard", "supercell", "twitch"},
		"social": {"tiktok", "instagram", "facebook", "x-twitter", "snapchat", "reddit", "pinterest",
			"tumblr", "bereal"},
		"video": {"youtube", "twitch", "netflix", "disney-plus", "prime-video"},
	}
	c := Builtin()
	for cat, ids := range want {
		for _, id := range ids {
			s, ok := c.Service(id)
			if !ok {
				t.Errorf("service %q is missing", id)
				continue
			}
			if !slices.Contains(s.Categories, cat) {
				t.Errorf("service %q is not in %q (it is in %v)", id, cat, s.Categories)
			}
		}
	}
	for _, id := range []string{"adult", "gambling", "malware"} {
		cat, ok := c.Category(id)
		if !ok || len(cat.Lists) == 0 {
			t.Errorf("category %q is missing or has no public lists", id)
		}
	}
	// Shared infrastructure is never a service domain: blocking it would
	// break far more than the service.
	shared := []string{"google.com", "googleapis.com", "gstatic.com", "microsoft.com", "live.com",
		"windows.com", "amazon.com", "amazonaws.com", "apple.com", "icloud.com", "akamai.net",
		"akamaihd.net", "akamaized.net", "akadns.net", "cloudfront.net", "fastly.net", "edgesuite.net",
		"azureedge.net", "cloudflare.com", "ggpht.com", "a2z.com", "qq.com", "163.com", "playfabapi.com",
		"easyanticheat.net", "live-video.net"}
	for _, s := range c.Services {
		for _, d := range s.Domains {
			if slices.Contains(shared, d) {
				t.Errorf("service %q lists shared domain %q", s.ID, d)
			}
		}
	}
}

func TestParseCatalogueErrors(t *testing.T) {
	const cats = "categories:\n  - {id: chat, name: Chat}\n"
	svc := func(body string) string { return cats + "services:\n  - " + body + "\n" }
	tests := []struct {
		name string
		yaml string
		want []string // substrings, each in one of the joined errors
	}{
		{"unknown key", cats + "servics: []\n", []string{"field servics not found"}},
		{"unknown service key", svc("{id: a, name: A, categories: [chat], domains: [a.com], sources: [x], url: y}"),
			[]string{"field url not found"}},
		{"no categories", "services: []\n", []string{"no categories"}},
		{"duplicate ids", cats + "  - {id: chat, name: Again}\nservices:\n" +
			"  - {id: a, name: A, categories: [chat], domains: [a.com], sources: [x]}\n" +
			"  - {id: a, name: A, categories: [chat], domains: [b.com], sources: [x]}\n",
			[]string{`category "chat": id used twice`, `service "a": id used twice`}},
		{"service id is a category id", svc("{id: chat, name: C, categories: [chat], domains: [a.com], sources: [x]}"),
			[]string{`service "chat": id is also a category id`}},
		{"uppercase id", svc("{id: Discord, name: D, categories: [chat], domains: [a.com], sources: [x]}"),
			[]string{`service "Discord": id "Discord": use lowercase`}},
		{"bad id", svc("{id: epic_games, name: E, categories: [chat], domains: [a.com], sources: [x]}"),
			[]string{`service "epic_games": id`}},
		{"no id", svc("{name: E, categories: [chat], domains: [a.com], sources: [x]}"),
			[]string{`service "#1": no id`}},
		{"missing category", svc("{id: a, name: A, categories: [chat, games], domains: [a.com], sources: [x]}"),
			[]string{`service "a": category "games" does not exist`}},
		{"no category", svc("{id: a, name: A, domains: [a.com], sources: [x]}"),
			[]string{`service "a": no categories`}},
		{"no name, domains or sources", svc("{id: a, categories: [chat]}"),
			[]string{`service "a": no name`, `service "a": no domains`, `service "a": no sources`}},
		{"bad domains", svc("{id: a, name: A, categories: [chat], sources: [x], domains: " +
			"[A.com, .a.com, '*.a.com', a.com., com, 'a..com', -a.com, a_b.com, 1.2.3.4, 'ä.com']}"),
			[]string{`domain "A.com": not lowercase`, `domain ".a.com": leading dot`, `domain "*.a.com": wildcard`,
				`domain "a.com.": trailing dot`, `domain "com": a single label`, `domain "a..com": empty label`,
				`domain "-a.com": label "-a" starts or ends`, `domain "a_b.com": label "a_b"`,
				`domain "1.2.3.4": numeric`, `domain "ä.com": label "ä": use a-z`}},
		{"duplicate and covered domains", svc("{id: a, name: A, categories: [chat], sources: [x], " +
			"domains: [a.com, b.com, a.com, cdn.b.com]}"),
			[]string{`service "a": domain "a.com" listed twice`, `domain "cdn.b.com" is already covered by "b.com"`}},
		{"list without https", "categories:\n  - id: adult\n    name: Adult\n    lists:\n" +
			"      - {name: x, url: 'http://example.com/x', homepage: 'https://example.com', license: MIT}\n" +
			"      - {name: y, homepage: 'example.com'}\n",
			[]string{`category "adult": list x: url: "http://example.com/x": want an https`,
				`category "adult": list y: url: missing`, `list y: homepage "example.com" is not a web address`,
				`list y: no license`}},
		{"not yaml", "categories: [", []string{"catalogue: yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCatalogue([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("no error; got %+v", c)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
		})
	}
	// A valid minimal catalogue parses.
	if _, err := ParseCatalogue([]byte(svc("{id: a, name: A, categories: [chat], domains: [a.com, xn--bcher-kva.example], sources: [x]}"))); err != nil {
		t.Errorf("valid catalogue: %v", err)
	}
}

func TestCatalogueLookup(t *testing.T) {
	c := Builtin()
	svcs, cat, err := c.Lookup("gaming")
	if err != nil || cat == nil || cat.ID != "gaming" || len(svcs) != len(c.ServicesIn("gaming")) || len(svcs) < 12 {
		t.Errorf("Lookup(gaming) = %d services, %v, %v", len(svcs), cat, err)
	}
	svcs, cat, err = c.Lookup(" Minecraft ")
	if err != nil || cat != nil || len(svcs) != 1 || svcs[0].ID != "minecraft" {
		t.Errorf("Lookup(Minecraft) = %v, %v, %v", svcs, cat, err)
	}
	svcs, cat, err = c.Lookup("adult")
	if err != nil || cat == nil || len(cat.Lists) == 0 || len(svcs) != 0 {
		t.Errorf("Lookup(adult) = %v, %v, %v", svcs, cat, err)
	}
	for name, want := range map[string]string{
		"discrod":        "discord",
		"mincraft":       "minecraft",
		"gamming":        "gaming",
		"fortnite":       "epic-games",
		"twitter":        "x-twitter",
		"omegle":         "random-video-chat",
		"xbox":           "xbox-live",
		"valorant":       "riot-games",
		"disney+":        "disney-plus",
		"cdn.discord.gg": "discord",
		"zzzzzzzzzz":     "",
	} {
		_, _, err := c.Lookup(name)
		var ue *UnknownNameError
		if !errors.As(err, &ue) {
			t.Errorf("Lookup(%q): error %v, want *UnknownNameError", name, err)
			continue
		}
		if ue.Suggestion != want {
			t.Errorf("Lookup(%q) suggests %q, want %q", name, ue.Suggestion, want)
		}
		if want != "" && !strings.Contains(err.Error(), `did you mean "`+want+`"?`) {
			t.Errorf("Lookup(%q): %v", name, err)
		}
	}
	if s, ok := c.ServiceFor("clients.l.youtube.com"); !ok || s.ID != "youtube" {
		t.Errorf("ServiceFor(clients.l.youtube.com) = %v, %v", s, ok)
	}
	if _, ok := c.ServiceFor("google.com"); ok {
		t.Error("ServiceFor(google.com) found a service")
	}
}

// Registry cross-check. The AdGuard HostlistsRegistry services (GPL-3.0,
// read from the shared test data, never copied) are the most complete
// public list of which domains make up a service. For each of our services
// that has a counterpart there, every plain "||domain^" rule of the
// counterpart must be covered by ours (the domain or a parent listed), except
// brand variants and the explicit exclusions below.
var registryChecks = []struct {
	adguard string   // AdGuard service id
	ours    []string // our services; a domain is covered if one of them covers it
	// variants: brand words. An uncovered registry domain whose first label
	// contains one (or is a few edits from the first) is a brand
	// variant: the brand under another TLD, a misspelling or a "buy
	// followers" site. Vendors register those defensively and redirect them
	// to a main domain we list; they are counted, not required.
	variants []string
}{
	{"discord", []string{"discord"}, nil},
	{"whatsapp", []string{"whatsapp"}, nil},
	{"telegram", []string{"telegram"}, nil},
	{"snapchat", []string{"snapchat"}, nil},
	{"signal", []string{"signal"}, nil},
	{"kik", []string{"kik"}, nil},
	{"viber", []string{"viber"}, nil},
	{"skype", []string{"skype"}, nil},
	{"wizz", []string{"wizz"}, nil},
	{"roblox", []string{"roblox"}, nil},
	{"epic_games", []string{"epic-games"}, nil},
	{"minecraft", []string{"minecraft"}, nil},
	{"steam", []string{"steam"}, nil},
	{"xboxlive", []string{"xbox-live"}, nil},
	{"playstation", []string{"playstation"}, nil},
	{"nintendo", []string{"nintendo"}, []string{"nintendo"}},
	{"electronic_arts", []string{"ea"}, nil},
	{"riot_games", []string{"riot-games"}, nil},
	{"leagueoflegends", []string{"riot-games"}, nil},
	{"valorant", []string{"riot-games"}, nil},
	{"battle_net", []string{"blizzard"}, nil},
	{"blizzard_entertainment", []string{"blizzard"}, nil},
	{"twitch", []string{"twitch"}, nil},
	{"tiktok", []string{"tiktok"}, nil},
	{"instagram", []string{"instagram"}, []string{"instagram", "insta", "stagram"}},
	{"facebook", []string{"facebook", "facebook-messenger"}, []string{"facebook", "faceb", "fb"}},
	{"twitter", []string{"x-twitter"}, nil},
	{"reddit", []string{"reddit"}, nil},
	{"pinterest", []string{"pinterest"}, []string{"pinterest"}},
	{"tumblr", []string{"tumblr"}, nil},
	{"youtube", []string{"youtube"}, []string{"youtube"}},
	{"netflix", []string{"netflix"}, []string{"netflix"}},
	{"disneyplus", []string{"disney-plus"}, nil},
	{"amazon_streaming", []string{"prime-video"}, []string{"primevideo", "amazonprimevideo", "amazonvideo", "prime-video"}},
}

// registryExclusions are registry domains we leave out on purpose, with why.
var registryExclusions = map[string]string{
	// Shared infrastructure: blocking it breaks more than the service.
	"ggpht.com":                              "Google image host shared by other Google services; YouTube's yt3/yt4 hosts are listed",
	"ggpht.cn":                               "China twin of ggpht.com (see ggpht.com)",
	"ttlivecdn.com.c.bytefcdn-oversea.com":   "CNAME target on ByteDance's shared CDN; ttlivecdn.com, which leads to it, is listed",
	"easyanticheat.net":                      "Easy Anti-Cheat is Epic's, but games of other publishers need it",
	"easy.ac":                                "Easy Anti-Cheat (see easyanticheat.net)",
	"eac-cdn.com":                            "Easy Anti-Cheat (see easyanticheat.net)",
	"byteoversea.com":                        "ByteDance-wide: also used by CapCut, Lemon8 and other ByteDance apps",
	"byteimg.com":                            "ByteDance-wide (see byteoversea.com)",
	"bytedapm.com":                           "ByteDance-wide telemetry (see byteoversea.com)",
	"bytegoofy.com":                          "ByteDance-wide static files (see byteoversea.com)",
	"bytescm.com":                            "ByteDance-wide (see byteoversea.com)",
	"snssdk.com":                             "ByteDance China API shared by Toutiao and other apps",
	"pstatp.com":                             "ByteDance China static files shared by Toutiao and other apps",
	"bytecdn.cn":                             "ByteDance China CDN shared by other apps",
	"bdurl.com":                              "ByteDance China short links shared by other apps",
	"zijieapi.com":                           "ByteDance China API shared by other apps",
	"xbox.ipv6.microsoft.com":                "on microsoft.com; its role for Windows is unclear",
	"xbox-guide-public.rec.mp.microsoft.com": "on microsoft.com; its role for Windows is unclear",
	"xbox-global.ifs.windows.com":            "on windows.com; its role for Windows is unclear",
	"skype-edf.akadns.net":                   "CNAME target on Akamai's DNS; the Skype names leading to it are listed",
	"skypedata.akadns.net":                   "CNAME target on Akamai's DNS (see skype-edf.akadns.net)",
	"edge-skype-com.s-0001.s-msedge.net":     "CNAME target on Microsoft's edge (see skype-edf.akadns.net)",
	"bytedance.map.fastly.net":               "CNAME target on Fastly; the TikTok names leading to it are listed",
	"music.amazon.com":                       "Amazon Music, not Prime Video",
	"music.amazon.co.uk":                     "Amazon Music, not Prime Video",
	"music.amazon.in":                        "Amazon Music, not Prime Video",
	"amazonmusic.com":                        "Amazon Music, not Prime Video",
	"music.a2z.com":                          "Amazon Music, not Prime Video",
	"disneynow.com":                          "DisneyNOW, a separate TV app, not Disney+",
	"hotstar.com":                            "JioHotstar, a separate Indian service, not Disney+",
	"fast.com":                               "Netflix's speed test, not Netflix video",
	"dl.steam.clngaa.com":                    "Steam China download mirror at a third-party CDN",
	"dl.steam.ksyna.com":                     "Steam China download mirror at a third-party CDN",
	"st.dl.bscstorage.net":                   "Steam China download mirror at a third-party CDN",
	"st.dl.eccdnx.com":                       "Steam China download mirror at a third-party CDN",
	"st.dl.pinyuncloud.com":                  "Steam China download mirror at a third-party CDN",
	"steampipe.steamcontent.tnkjmec.com":     "Steam China download mirror at a third-party CDN",
	"steampowered.com.8686c.com":             "Steam China mirror at a third-party CDN",
	"steamstatic.com.8686c.com":              "Steam China mirror at a third-party CDN",
	"xz.pphimalayanrt.com":                   "Steam China mirror at a third-party CDN",
	"csgo.wmsj.cn":                           "Perfect World's China game sites, not Steam",
	"dota2.wmsj.cn":                          "Perfect World's China game sites, not Steam",
	"wmsjsteam.com":                          "Perfect World's China game sites, not Steam",
	"playartifact.com":                       "Valve game sites, not the Steam platform",
	"underlords.com":                         "Valve game sites, not the Steam platform",
	"steam-api.com":                          "not found in Valve's own material",
	"station.sony.com":                       "Sony Online Entertainment's old site, not PlayStation Network",
	"swtor.com":                              "one EA game's site, not EA's platform",
	"nearpolar.com":                          "not found in EA's own material",
	"telega.one":                             "an unofficial Telegram client's site",
	"whatsapp-plus.info":                     "modified-client sites, not WhatsApp's",
	"whatsapp-plus.me":                       "modified-client sites, not WhatsApp's",
	"whatsapp-plus.net":                      "modified-client sites, not WhatsApp's",
	"airhorn.solutions":                      "Discord joke and sample-bot sites, not the app",
	"airhornbot.com":                         "Discord joke and sample-bot sites, not the app",
	"bigbeans.solutions":                     "Discord joke and sample-bot sites, not the app",
	"watchanimeattheoffice.com":              "Discord joke and sample-bot sites, not the app",
	"rbxadder.com":                           "a third-party 'free Robux' site, not Roblox's",
	"vine.co":                                "closed service (Vine)",
	"twitpic.com":                            "closed service (Twitpic)",
	"tellapart.com":                          "closed ad company Twitter bought",
	"twitter.biz":                            "corporate redirects; the main domains are listed",
	"twitterinc.com":                         "corporate redirects; the main domains are listed",
	"twittercommunity.com":                   "developer forum, not the app",
	"twitterflightschool.com":                "advertiser training site, not the app",
	"twitteroauth.com":                       "not found in X's own material",
	"huoshan.com":                            "Huoshan, a separate ByteDance app",
	"huoshanstatic.com":                      "Huoshan, a separate ByteDance app",
	"huoshanzhibo.com":                       "Huoshan, a separate ByteDance app",
}

// facebookExtras: domains Meta holds that are not Facebook: its open-source
// projects (blocking them breaks developer documentation), closed or bought
// products, events and generic words.
var facebookExtras = strings.Fields(`
	reactjs.org reactjs.com react.com recoiljs.org draftjs.org flow.org flow.dev flowtype.org hhvm.com
	hacklang.org rocksdb.com rocksdb.net rocksdb.org buck.build buckbuild.com componentkit.org frescolib.org
	yogalayout.com botorch.org pyrobot.org fasttext.cc fbinfer.com fbredex.com fbidb.io fblitho.com
	mcrouter.net mcrouter.org makeitopen.com ogp.me opengraphprotocol.com opengraphprotocol.org parse.com
	atscaleconference.com f8.com fbf8.com crowdtangle.com friendfeed.com friendfeed-api.com
	friendfeed-media.com friendfeedmedia.com friendfed.com freindfeed.com liverail.com liverail.tv redkix.com
	terragraph.com expresswifi.com freebasics.com freebasics.net internet.org i.org groups.com newsfeed.com
	nextstop.com thefind.com workplace.com workplaceusecases.com gameroom.com sportstream.com
	futureofbusinesssurvey.org opencreate.org midentsolutions.com faciometrics.com facesounds.com
	atdmt2.com atlasdmt.com atlasonepoint.com accountkit.com advancediddetection.com click-url.com
	online-deals.net login-account.net klik.me freeb.com freebs.com toplayerserver.com worldhack.com
	nbabot.net friendbook.info celebgramme.com careersatfb.com markzuckerberg.com zuckerberg.com zuckerberg.net
	`)

func init() {
	for _, d := range facebookExtras {
		registryExclusions[d] = "Meta, but not Facebook: open-source projects, other products, events"
	}
}

func TestCatalogueRegistryCrossCheck(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "testdata", "services", "adguard-services-rules-only.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s is absent", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	var reg struct {
		Services []struct {
			ID    string   `json:"id"`
			Rules []string `json:"rules"`
		} `json:"services"`
	}
	if err := json.Unmarshal(data, &reg); err != nil {
		t.Fatal(err)
	}
	rules := make(map[string][]string, len(reg.Services))
	for _, s := range reg.Services {
		rules[s.ID] = s.Rules
	}
	c := Builtin()
	var total, covered, variants, excluded int
	usedExclusions := map[string]bool{}
	for _, rc := range registryChecks {
		rs, ok := rules[rc.adguard]
		if !ok {
			t.Errorf("registry has no service %q", rc.adguard)
			continue
		}
		var ours []string
		for _, id := range rc.ours {
			s, ok := c.Service(id)
			if !ok {
				t.Errorf("%s: our service %q does not exist", rc.adguard, id)
				continue
			}
			ours = append(ours, s.Domains...)
		}
		var n, cov, vars, excl int
		var missing []string
		for _, d := range plainDomainRules(rs) {
			n++
			switch {
			case coveredBy(d, ours):
				cov++
			case registryExclusions[d] != "":
				excl++
				usedExclusions[d] = true
			case isBrandVariant(d, rc.variants):
				vars++
			default:
				missing = append(missing, d)
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s -> %v: registry domains not covered: %v", rc.adguard, rc.ours, missing)
		}
		t.Logf("%-22s -> %-30s %3d registry domains: %3d covered, %3d brand variants, %3d excluded",
			rc.adguard, strings.Join(rc.ours, ","), n, cov, vars, excl)
		total, covered, variants, excluded = total+n, covered+cov, variants+vars, excluded+excl
	}
	core := total - variants
	t.Logf("all: %d registry domains, %d of them brand variants; of the other %d: %d covered (%.0f%%), %d excluded",
		total, variants, core, covered, 100*float64(covered)/float64(max(core, 1)), excluded)
	for d := range registryExclusions {
		if !usedExclusions[d] {
			t.Errorf("exclusion %q is not needed: remove it", d)
		}
	}
}

// plainDomainRules returns the domains of rules "||domain^" (or "||domain")
// without modifiers or wildcards, and with at least two labels.
func plainDomainRules(rules []string) []string {
	var out []string
	for _, r := range rules {
		d, ok := strings.CutPrefix(r, "||")
		if !ok || strings.ContainsAny(d, "$*/|") {
			continue
		}
		d = strings.TrimSuffix(d, "^")
		if strings.Contains(d, "^") || !strings.Contains(d, ".") {
			continue
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

func coveredBy(d string, domains []string) bool {
	for ; d != ""; d = parentDomain(d) {
		if slices.Contains(domains, d) {
			return true
		}
	}
	return false
}

func isBrandVariant(d string, brands []string) bool {
	if len(brands) == 0 {
		return false
	}
	first, _, _ := strings.Cut(d, ".")
	if suggest.Distance(first, brands[0]) <= max(2, len(brands[0])*3/8) {
		return true
	}
	for _, b := range brands {
		if strings.Contains(first, b) {
			return true
		}
	}
	return false
}

// TestCatalogueOtherRegistries reports how much of the other public service
// lists in the shared test data our services cover. Those lists mix in
// trackers, ad hosts and CNAME targets, so this only logs the numbers.
func TestCatalogueOtherRegistries(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "testdata", "services")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s is absent", dir)
	}
	c := Builtin()
	domainsOf := func(ids ...string) []string {
		var out []string
		for _, id := range ids {
			if s, ok := c.Service(id); ok {
				out = append(out, s.Domains...)
			}
		}
		return out
	}
	var social []string
	for _, cat := range []string{"chat", "social"} {
		for _, s := range c.ServicesIn(cat) {
			social = append(social, s.Domains...)
		}
	}
	for _, f := range []struct {
		file string
		ours []string
	}{
		{"blocklistproject/fortnite.domains.txt", domainsOf("epic-games")},
		{"blocklistproject/tiktok.domains.txt", domainsOf("tiktok")},
		{"blocklistproject/whatsapp.domains.txt", domainsOf("whatsapp")},
		{"blocklistproject/twitter.domains.txt", domainsOf("x-twitter")},
		{"blocklistproject/facebook.domains.txt", domainsOf("facebook", "facebook-messenger", "instagram", "whatsapp")},
		{"blocklistproject/youtube.domains.txt", domainsOf("youtube")},
		{"hagezi-native.tiktok.extended.domains.txt", domainsOf("tiktok")},
		{"hagezi-social-onlydomains.txt", social},
		{"stevenblack-social-only-trimmed.domains.txt", social},
	} {
		data, err := os.ReadFile(filepath.Join(dir, f.file))
		if err != nil {
			t.Logf("%s: %v", f.file, err)
			continue
		}
		var n, cov int
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || line[0] == '#' {
				continue
			}
			n++
			if coveredBy(strings.ToLower(line), f.ours) {
				cov++
			}
		}
		t.Logf("%-45s %6d domains, %6d covered (%.0f%%)", f.file, n, cov, 100*float64(cov)/float64(max(n, 1)))
	}
}

// TestCatalogueDoc checks that docs/catalogue.md names every category and
// service id.
func TestCatalogueDoc(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "catalogue.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	c := Builtin()
	for _, cat := range c.Categories {
		if !strings.Contains(doc, "`"+cat.ID+"`") {
			t.Errorf("docs/catalogue.md does not mention category `%s`", cat.ID)
		}
	}
	for _, s := range c.Services {
		if !strings.Contains(doc, "`"+s.ID+"`") {
			t.Errorf("docs/catalogue.md does not mention service `%s`", s.ID)
		}
	}
}

package report

// Conversation starters: short prompts for a parent, each shown exactly when
// its trigger is in the device's blocked tries of the period. The words are
// our own, written from the campaign's advice: never share personal
// information; people online may not be who they say they are; never meet
// someone you met online; speak to someone you trust.

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy/verdict"
)

// Starter is one conversation starter, shown once for the whole report
// with what brought it up on each device.
type Starter struct {
	ID    string   `json:"id"`
	Title string   `json:"title"`
	Seen  []Seen   `json:"seen"` // what in the period brought it up, by device
	Say   []string `json:"say"`  // 2 to 4 short sentences for the parent
	Ask   string   `json:"ask"`  // one question to ask the child
}

// Seen is what brought a starter up on one device: "Tablet tried Discord
// 23 times at bedtime ...".
type Seen struct {
	Device string `json:"device"`
	Text   string `json:"text"`
}

// mergeStarters joins the devices' starters, in the order starters are
// shown and, within one, the order of the devices. A starter's words come
// from the first device that has it.
func mergeStarters(devices []Device) []Starter {
	out := []Starter{}
	for _, id := range starterIDs {
		var merged *Starter
		for i := range devices {
			for _, s := range devices[i].starters {
				if s.ID != id {
					continue
				}
				if merged == nil {
					out = append(out, s)
					merged = &out[len(out)-1]
					merged.Seen = slices.Clone(s.Seen)
				} else {
					merged.Seen = append(merged.Seen, s.Seen...)
				}
			}
		}
	}
	return out
}

// Starter IDs; starterIDs has them in the order they are shown.
const (
	StarterStrangers = "video-chat-strangers"
	StarterNightChat = "chat-at-night"
	StarterGameChat  = "chat-in-games"
	StarterNew       = "new-services"
	StarterBypass    = "getting-round-the-filter"
	StarterLongDays  = "long-days" // from daily budgets (budgets.go), shown last
)

var starterIDs = []string{StarterStrangers, StarterNightChat, StarterGameChat, StarterNew, StarterBypass}

// Triggers. Only blocked tries count: the report is about blocked lookups;
// allowed ones (log_allowed) only say when games were being played.
var (
	// strangerServices pair people with strangers on camera, or exist to
	// meet new people: random video chat and the "make new friends" apps.
	strangerServices = []string{"random-video-chat", "wizz", "yubo"}
	// gameChatServices are the catalogue's games and game platforms where
	// players chat (text or voice) with people they do not know: in-game
	// chat (Roblox, Fortnite, Minecraft servers, Valorant/League, Overwatch,
	// clans in Clash of Clans), platform friends and parties (Steam, Xbox,
	// PlayStation) and stream chat (Twitch). Nintendo and EA are left out:
	// their games mostly have no open chat.
	gameChatServices = []string{
		"roblox", "epic-games", "minecraft", "steam", "xbox-live",
		"playstation", "riot-games", "blizzard", "supercell", "twitch",
	}
)

const (
	// Night, for chat: from nightFrom:00 to nightUntil:00 on the
	// household's clock, and whenever bedtime blocked it.
	nightFrom, nightUntil = 21, 6
	// gameTime: a chat try this close to a gaming lookup (blocked or
	// allowed) of the same device is chat during gaming.
	gameTime = 30 * time.Minute
)

// tries adds up blocked tries by service; rows with no service are added
// up under a label ("chat sites").
type tries struct {
	total int64
	by    map[string]int64
}

func (t *tries) add(row *journal.Row, label string) {
	if t.by == nil {
		t.by = make(map[string]int64)
	}
	key := row.Service
	if key == "" {
		key = "\x00" + label
	}
	t.total += row.Attempts
	t.by[key] += row.Attempts
}

// names are the services tried, most first, as a phrase.
func (t *tries) names(n *namer) string {
	counts := make([]Count, 0, len(t.by))
	for k, a := range t.by {
		name, ok := strings.CutPrefix(k, "\x00")
		if !ok {
			name = n.serviceName(k)
		}
		counts = append(counts, Count{ID: k, Name: name, Attempts: a})
	}
	slices.SortFunc(counts, compareCounts)
	names := make([]string, len(counts))
	for i, c := range counts {
		names[i] = c.Name
	}
	return andList(names)
}

// starters returns the starters for one device's rows of the period.
func starters(n *namer, device string, rows []journal.Row, news []Service, r *Report) []Starter {
	var gaming []time.Time // minutes with gaming lookups, either action
	for i := range rows {
		if n.inCategory(&rows[i], "gaming") {
			gaming = append(gaming, rows[i].Minute)
		}
	}
	slices.SortFunc(gaming, time.Time.Compare)
	nearGaming := func(t time.Time) bool {
		i, _ := slices.BinarySearchFunc(gaming, t, time.Time.Compare)
		return (i < len(gaming) && gaming[i].Sub(t) <= gameTime) ||
			(i > 0 && t.Sub(gaming[i-1]) <= gameTime)
	}

	var strangers, night, games, gameChat, bypass tries
	for i := range rows {
		row := &rows[i]
		if row.Action != journal.ActionBlock || row.Attempts <= 0 {
			continue
		}
		chat := n.inCategory(row, "chat")
		if slices.Contains(strangerServices, row.Service) {
			strangers.add(row, "")
		}
		if h := row.Minute.In(r.loc).Hour(); chat && (row.Reason == verdict.ReasonBedtime || h >= nightFrom || h < nightUntil) {
			night.add(row, "chat sites")
		}
		if slices.Contains(gameChatServices, row.Service) {
			games.add(row, "")
		} else if chat && nearGaming(row.Minute) {
			gameChat.add(row, "chat sites")
		}
		if n.inCategory(row, "bypass") {
			bypass.add(row, "filter bypass sites")
		}
	}

	dev := device // as written, even at the start of a sentence: "alex-tablet tried ..."
	period := r.periodWord()
	var out []Starter
	if strangers.total > 0 {
		out = append(out, Starter{
			ID:    StarterStrangers,
			Title: "Video chat with strangers",
			Seen:  seen(device, fmt.Sprintf("%s tried %s %s this %s.", dev, strangers.names(n), times(strangers.total), period)),
			Say: []string{
				"These sites and apps put children on camera with people they have never met.",
				"People there are often not who they say they are, and some go there looking for children.",
				"Make sure your child knows they can tell you, or another adult they trust, about anything they saw or were asked to do, without getting into trouble.",
			},
			Ask: "Have you or your friends ever talked to strangers on video, and how did it feel?",
		})
	}
	if night.total > 0 {
		out = append(out, Starter{
			ID:    StarterNightChat,
			Title: "Chatting late at night",
			Seen: seen(device, fmt.Sprintf("%s tried %s %s at bedtime or late at night (%02d:00 to %02d:00) this %s.",
				dev, night.names(n), times(night.total), nightFrom, nightUntil, period)),
			Say: []string{
				"Late at night children are tired, alone and more easily talked into things.",
				"Someone who messages at night may not be who they say they are.",
				"Agree together where phones and tablets sleep, and that any message that worries them can come to you, whatever the hour.",
			},
			Ask: "Who do you chat with, and does anyone message you late at night?",
		})
	}
	if games.total > 0 || gameChat.total > 0 {
		var what []string
		if games.total > 0 {
			what = append(what, fmt.Sprintf("tried %s %s this %s", games.names(n), times(games.total), period))
		}
		if gameChat.total > 0 {
			what = append(what, fmt.Sprintf("tried %s %s around game time", gameChat.names(n), times(gameChat.total)))
		}
		out = append(out, Starter{
			ID:    StarterGameChat,
			Title: "Talking to people in games",
			Seen:  seen(device, dev+" "+strings.Join(what, ", and ")+"."),
			Say: []string{
				"Many games let players chat or talk with people they have never met.",
				"A friendly player may not be who they say they are, and may ask to carry on in a private chat.",
				"Your child should never share their real name, school, address or photos there, and never agree to meet someone from a game.",
				"Most games and consoles have chat settings of their own, and Hearth's game-chat category blocks the voice chat some games run apart from the game.",
			},
			Ask: "Who do you play with online, and has anyone you don't know asked you to chat somewhere else?",
		})
	}
	if len(news) > 0 {
		names := make([]string, len(news))
		for i, s := range news {
			names[i] = s.Name
		}
		out = append(out, Starter{
			ID:    StarterNew,
			Title: "Something new",
			Seen:  seen(device, fmt.Sprintf("%s reached for %s for the first time this %s.", dev, andList(names), period)),
			Say: []string{
				"New apps often arrive through friends or school.",
				"Ask to be shown how it works: who can see your child's profile, and who can message them.",
				"Check together that it does not share their name, school, location or photos.",
			},
			Ask: fmt.Sprintf("What is %s, and can you show me how it works?", news[0].Name),
		})
	}
	if bypass.total > 0 {
		out = append(out, Starter{
			ID:    StarterBypass,
			Title: "Tries to get round the filter",
			Seen: seen(device, fmt.Sprintf("%s tried %s, ways to get round the filter, %s this %s; each try was blocked.",
				dev, bypass.names(n), times(bypass.total), period)),
			Say: []string{
				"That may be curiosity, an app doing it by itself, or something they want that the filter stops.",
				"Nobody can watch every click, so agreeing the rules together matters more than the filter.",
				"Talk about why the rules are there, and listen to what they would change.",
			},
			Ask: "Is there something you wanted that the filter stopped, and shall we look at it together?",
		})
	}
	return out
}

func seen(device, text string) []Seen { return []Seen{{Device: device, Text: text}} }

// times says how many times: "once", "twice", "5 times".
func times(n int64) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}

// andList joins names as prose: "A", "A and B", "A, B and C", and past
// three "A, B, C and 2 more".
func andList(names []string) string {
	const most = 3
	if len(names) > most+1 {
		names = append(slices.Clone(names[:most]), fmt.Sprintf("%d more", len(names)-most))
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

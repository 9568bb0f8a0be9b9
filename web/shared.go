package web

import (
	"fmt"
	"strings"
	"time"
)

// SharedState is this Hearth's part in live state shared with other
// Hearths through Redis (state.redis, docs/two-nodes.md), for
// /api/status and the Now page.
type SharedState struct {
	Node          string    `json:"node"`
	Redis         string    `json:"redis"` // the URL without its password
	Connected     bool      `json:"connected"`
	DegradedSince time.Time `json:"degraded_since,omitzero"` // Redis not answering since; zero when connected
	LastError     string    `json:"last_error,omitempty"`
	Queued        int       `json:"queued"`               // this node's changes waiting for Redis
	Peers         []string  `json:"peers"`                // the other nodes seen in the last seconds
	NameTaken     bool      `json:"name_taken,omitempty"` // another running Hearth has this node's name
	// Config is where this node stands with the hearth.yaml the nodes
	// share; nil when it is not shared (no file).
	Config *SharedConfig `json:"config,omitempty"`
}

// SharedConfig is this node's part in the shared hearth.yaml
// (docs/two-nodes.md, "hearth.yaml").
type SharedConfig struct {
	Seq      int64     `json:"seq"`            // the shared version this node last applied, published or refused
	From     string    `json:"from,omitempty"` // the node that published it
	At       time.Time `json:"at,omitzero"`
	State    string    `json:"state,omitempty"` // applied, published or refused
	Refused  bool      `json:"refused,omitempty"`
	Problems []string  `json:"problems,omitempty"` // why it was refused
	KeptOwn  bool      `json:"kept_own,omitempty"` // this node's own edit lost to a newer one and is kept as hearth.yaml.1
}

// ConfigLine is one sentence for the Now page about the shared
// hearth.yaml; "" when there is nothing to say (not shared, or in step).
func (s SharedState) ConfigLine() string {
	c := s.Config
	switch {
	case c == nil:
		return ""
	case c.Refused:
		return fmt.Sprintf("hearth.yaml version %d from %s was refused here: this Hearth keeps its last good configuration. %s",
			c.Seq, c.From, strings.Join(c.Problems, "; "))
	case c.KeptOwn:
		return fmt.Sprintf("hearth.yaml was changed here and on %s while they could not talk: %s's (version %d) is used; this Hearth's is kept as hearth.yaml.1.",
			c.From, c.From, c.Seq)
	}
	return ""
}

// Line is one sentence for the Now page; loc is the household's time zone.
func (s SharedState) Line(loc *time.Location) string {
	peers := "no other Hearth seen"
	if len(s.Peers) > 0 {
		peers = "with " + joinWords(s.Peers)
	}
	if s.NameTaken {
		return "Shared state: another Hearth is also called " + s.Node + ": give each its own state.node."
	}
	if s.Connected {
		return "Shared state: node " + s.Node + ", " + peers + "."
	}
	return "Shared state: node " + s.Node + " is on its own since " + s.DegradedSince.In(loc).Format("15:04:05") +
		" (Redis does not answer); its changes are kept and sent when Redis is back."
}

func joinWords(list []string) string {
	switch len(list) {
	case 0:
		return ""
	case 1:
		return list[0]
	}
	out := list[0]
	for _, s := range list[1 : len(list)-1] {
		out += ", " + s
	}
	return out + " and " + list[len(list)-1]
}

// shared is the status of shared state, nil when there is none.
func (sv *service) shared() *SharedState {
	if sv.opts.Shared == nil {
		return nil
	}
	st, ok := sv.opts.Shared()
	if !ok {
		return nil
	}
	return &st
}

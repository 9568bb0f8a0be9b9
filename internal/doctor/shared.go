package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/hearth-dns/hearth/internal/cluster"
	"github.com/hearth-dns/hearth/internal/config"
)

// 10. Shared state (state.redis): whether Redis answers, the nodes it saw.

func (d *Doctor) checkShared(ctx context.Context, cfg *config.Config) {
	if !cfg.State.Shared() {
		d.report(Finding{Status: OK, Text: "shared state: none (state.redis empty): this Hearth runs alone"})
		return
	}
	node := cfg.State.NodeName()
	p, err := cluster.ProbeRedis(ctx, cfg.State.Redis, cfg.StateDirectory())
	if err != nil {
		f := Finding{Status: Warn, Text: fmt.Sprintf("shared state: Redis %s does not answer (%v)", p.Redis, err),
			Fix: "DNS goes on without it, each node on its own; start Redis (`systemctl status redis-server`) or correct state.redis"}
		if p.Queued > 0 {
			f.Notes = append(f.Notes, fmt.Sprintf("%d changes made here wait to be sent (%s)", p.Queued, cluster.QueueFile))
		}
		d.report(f)
		d.checkSharedConfig(cfg)
		return
	}
	others := []string{}
	for _, peer := range p.Peers {
		if peer != node {
			others = append(others, peer)
		}
	}
	seen := "no other node seen in the last seconds"
	if len(others) > 0 {
		seen = "other nodes seen: " + strings.Join(others, ", ")
	}
	f := Finding{Status: OK, Text: fmt.Sprintf("shared state: node %s, Redis %s answers in %s; %s", node, p.Redis, p.RTT.Round(100_000), seen)}
	if p.Queued > 0 {
		f.Status, f.Fix = Warn, "they are sent when Hearth runs and reaches Redis; if Hearth is running, see its log"
		f.Text += fmt.Sprintf("; %d changes made here wait to be sent", p.Queued)
	}
	d.report(f)
	d.checkSharedConfig(cfg)
}

// checkSharedConfig: the shared hearth.yaml (docs/two-nodes.md): a version
// this node refused, its own edit set aside, a file that sets state.node.
func (d *Doctor) checkSharedConfig(cfg *config.Config) {
	st, err := cluster.ReadConfigState(cfg.StateDirectory())
	if err != nil {
		d.report(Finding{Status: Warn, Text: "shared hearth.yaml: " + err.Error()})
	}
	switch {
	case st.Refused:
		d.report(Finding{Status: Warn, Text: fmt.Sprintf("shared hearth.yaml: version %d from %s was refused here; this node runs its last good configuration", st.Seq, st.From),
			Notes: st.Problems, Fix: "correct it on any node's dashboard (or by hand there, then `hearth reload`): the next version is tried here"})
	case st.KeptOwn:
		d.report(Finding{Status: Warn, Text: fmt.Sprintf("shared hearth.yaml: this node's own edit lost to version %d from %s and is kept as hearth.yaml.1", st.Seq, st.From),
			Fix: "make the change again on the dashboard if it is still wanted"})
	case st.Seq > 0:
		d.report(Finding{Status: OK, Text: fmt.Sprintf("shared hearth.yaml: version %d (%s, from %s)", st.Seq, st.State, st.From)})
	}
}

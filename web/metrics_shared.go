package web

import "github.com/prometheus/client_golang/prometheus"

// State shared with other Hearths (state.redis), read at scrape time;
// absent when the node runs alone.
var (
	descSharedConnected = prometheus.NewDesc("hearth_shared_state_connected",
		"1 while Redis answers this node's syncs of shared state, 0 while it is on its own; absent without state.redis.", []string{"node"}, nil)
	descSharedQueued = prometheus.NewDesc("hearth_shared_state_queued_changes",
		"This node's changes (pauses, bonus time) waiting for Redis.", []string{"node"}, nil)
	descSharedPeers = prometheus.NewDesc("hearth_shared_state_peers",
		"Other nodes whose heartbeat this node saw in the last seconds.", []string{"node"}, nil)
)

// SharedCollector reports the shared state's status from src (nil or
// false: nothing).
func SharedCollector(src func() (SharedState, bool)) prometheus.Collector {
	return sharedCollector{src: src}
}

type sharedCollector struct{ src func() (SharedState, bool) }

func (c sharedCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descSharedConnected
	ch <- descSharedQueued
	ch <- descSharedPeers
}

func (c sharedCollector) Collect(ch chan<- prometheus.Metric) {
	if c.src == nil {
		return
	}
	st, ok := c.src()
	if !ok {
		return
	}
	connected := 0.0
	if st.Connected {
		connected = 1
	}
	ch <- prometheus.MustNewConstMetric(descSharedConnected, prometheus.GaugeValue, connected, st.Node)
	ch <- prometheus.MustNewConstMetric(descSharedQueued, prometheus.GaugeValue, float64(st.Queued), st.Node)
	ch <- prometheus.MustNewConstMetric(descSharedPeers, prometheus.GaugeValue, float64(len(st.Peers)), st.Node)
}

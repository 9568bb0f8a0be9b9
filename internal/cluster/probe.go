package cluster

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hearth-dns/hearth/internal/redact"
	"github.com/redis/go-redis/v9"
)

// Probe is what `hearth doctor` finds of shared state without a running
// node: whether Redis answers, which nodes it saw lately, and how many
// changes wait in the state directory's queue.
type Probe struct {
	Redis  string        // the URL without its password
	RTT    time.Duration // one PING
	Peers  []string      // nodes whose heartbeat is within PeerTTL, sorted
	Queued int           // changes in QueueFile
}

// ProbeRedis pings the Redis at url (within Timeout per call) and lists
// the nodes seen; dir is the state directory ("" skips the queue). The
// error never holds the password.
func ProbeRedis(ctx context.Context, url, dir string) (Probe, error) {
	p := Probe{Redis: redact.URL(url)}
	if q, err := openQueue(dir); err == nil {
		p.Queued = q.len()
	}
	ro, err := redis.ParseURL(url)
	if err != nil {
		return p, fmt.Errorf("state.redis: %s", redact.Error(err.Error(), url))
	}
	ro.DialTimeout, ro.ReadTimeout, ro.WriteTimeout, ro.MaxRetries = Timeout, Timeout, Timeout, -1
	rdb := redis.NewClient(ro)
	defer rdb.Close()
	begun := time.Now()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return p, fmt.Errorf("%s", redact.Error(err.Error(), url))
	}
	p.RTT = time.Since(begun)
	since := fmt.Sprint(time.Now().Add(-PeerTTL).Unix())
	peers, err := rdb.ZRangeByScore(ctx, Prefix+"nodes", &redis.ZRangeBy{Min: since, Max: "+inf"}).Result()
	if err != nil {
		return p, fmt.Errorf("%s", redact.Error(err.Error(), url))
	}
	slices.Sort(peers)
	p.Peers = peers
	return p, nil
}

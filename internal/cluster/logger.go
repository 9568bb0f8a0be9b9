package cluster

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// go-redis logs its connection pool's troubles with the standard library's
// logger, on stderr, on every failed dial: while Redis is down, a line a
// second. The node says itself, once, when Redis stops and starts answering
// (record), with the error in its status; go-redis's lines are dropped.
var setLogger sync.Once

type quietLog struct{}

func (quietLog) Printf(context.Context, string, ...any) {}

func quietRedis() { setLogger.Do(func() { redis.SetLogger(quietLog{}) }) }

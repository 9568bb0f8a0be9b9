package cluster

import (
	"context"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// go-redis logs its connection pool's troubles with the standard library's
// logger, on stderr, on every failed dial. The node says once when Redis
// stops and starts answering (record); go-redis's lines go to the first
// node's log at debug level.
var setLogger sync.Once

type redisLog struct{ log zerolog.Logger }

func (l redisLog) Printf(_ context.Context, format string, v ...any) {
	l.log.Debug().Str("from", "go-redis").Msg(fmt.Sprintf(format, v...))
}

func quietRedis(log zerolog.Logger) {
	setLogger.Do(func() { redis.SetLogger(redisLog{log}) })
}

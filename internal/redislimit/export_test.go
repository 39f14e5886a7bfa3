package redislimit

import "github.com/redis/go-redis/v9"

// AddHook adds h to l's client, for the tests that count round trips.
func (l *Limits) AddHook(h redis.Hook) { l.rdb.AddHook(h) }

package redisstore

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// SetLogger sends go-redis' own messages (a pool that cannot dial, a
// sentinel switching masters) to l at warn level, instead of the standard
// logger's unstructured lines on stderr. go-redis keeps one logger for the
// whole process.
func SetLogger(l *slog.Logger) { redis.SetLogger(slogLogger{l}) }

type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Printf(ctx context.Context, format string, v ...any) {
	s.l.WarnContext(ctx, "redis: "+fmt.Sprintf(format, v...), "component", "go-redis")
}

package kit

import (
	"context"
	"time"
)

// AnswerWithin bounds the work an adapter does before it acknowledges a
// command or a click. Slack and Discord show the user an error when no
// acknowledgement comes within 3 s; with this margin a store that hangs
// (a partitioned Redis, a dial that times out after 5 s) makes the engine
// answer "try again" in time instead (Engine.fail words a timeout).
const AnswerWithin = 2500 * time.Millisecond

// AnswerContext returns ctx bounded by AnswerWithin, for the synchronous
// part of handling a delivery. Work deferred past the acknowledgement
// detaches from it (context.WithoutCancel drops the deadline too).
func AnswerContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, AnswerWithin)
}

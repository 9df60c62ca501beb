package bot

import (
	"context"
	"time"
)

// DeliveryStore is implemented by stores that replicas share (Redis). It
// remembers platform delivery keys, so a redelivery that reaches another
// replica is not applied twice: toggling a theme is not idempotent. Stores
// that one process owns (bbolt) need not implement it; the adapters'
// in-process check covers them.
type DeliveryStore interface {
	// RecordDelivery records key for ttl and reports whether it was new.
	RecordDelivery(ctx context.Context, key string, ttl time.Duration) (first bool, err error)
}

// deliveryTTL outlasts every platform's redelivery window (Slack retries
// within minutes).
const deliveryTTL = 15 * time.Minute

// FirstDelivery reports whether no replica has handled the delivery key
// before. retry says the platform marked the delivery as a redelivery
// (Slack's X-Slack-Retry-Num, a Socket Mode retry_attempt): only then does
// the check wait for the store. A first delivery is recorded in the
// background, so an ordinary click pays no extra round trip; a redelivery
// comes seconds later, when the record has long landed. If the store
// cannot answer, the delivery is treated as new: refusing it would lose a
// vote for certain to avoid a double count that is only possible.
func (e *Engine) FirstDelivery(ctx context.Context, key string, retry bool) bool {
	ds, ok := e.svc.Store().(DeliveryStore)
	if !ok || key == "" {
		return true
	}
	record := func(ctx context.Context) bool {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		first, err := ds.RecordDelivery(ctx, key, deliveryTTL)
		if err != nil {
			e.log.Warn("recording a delivery failed; a redelivery to another replica may apply twice", "err", err)
			return true
		}
		return first
	}
	if retry {
		return record(ctx)
	}
	select {
	case e.recording <- struct{}{}:
		go func() {
			defer func() { <-e.recording }()
			record(ctx)
		}()
	default:
		// Too many records in flight: record inline rather than not at all.
		record(ctx)
	}
	return true
}

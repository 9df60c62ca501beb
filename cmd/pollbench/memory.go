package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// dataMemory is the memory Redis holds for data: INFO memory's
// used_memory less what its client connections hold at that moment (the
// sum of CLIENT LIST's tot-mem), both read in one MULTI so that nothing
// runs between them. Client buffers grow and shrink with connections and
// traffic, not with what is stored; INFO's own mem_clients_normal is
// updated lazily, client by client, and can be off by a hundred
// kilobytes after a burst. The keyspace's overhead (the main and expiry
// dictionaries) stays in: a key with an expiry costs its entries there
// too.
func dataMemory(ctx context.Context, c *redis.Client) (int64, error) {
	var info, list *redis.StringCmd
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		info = p.Info(ctx, "memory")
		list = p.ClientList(ctx)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("reading Redis memory: %w", err)
	}
	return parseDataMemory(info.Val(), list.Val())
}

// parseDataMemory is used_memory from info less the tot-mem of every
// client in list.
func parseDataMemory(info, list string) (int64, error) {
	used := int64(-1)
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("INFO memory: used_memory: %w", err)
			}
			used = n
		}
	}
	if used < 0 {
		return 0, errors.New("INFO memory has no used_memory")
	}
	var clients int64
	for _, line := range strings.Split(list, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		found := false
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "tot-mem="); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return 0, fmt.Errorf("CLIENT LIST: tot-mem: %w", err)
				}
				clients += n
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("CLIENT LIST has no tot-mem (Redis 7 or later needed): %q", line)
		}
	}
	return used - clients, nil
}

// settledMemory is dataMemory once Redis has settled: two readings
// settleEvery apart agree (or settleWithin has passed). A dictionary
// that grew is rehashed incrementally by Redis' cron and its old table
// freed some time later; read too soon, that step would fall into the
// next measurement.
func settledMemory(ctx context.Context, c *redis.Client) (int64, error) {
	const settleEvery, settleWithin = 100 * time.Millisecond, 3 * time.Second
	deadline := time.Now().Add(settleWithin)
	last, err := dataMemory(ctx, c)
	for err == nil && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(settleEvery):
		}
		var n int64
		if n, err = dataMemory(ctx, c); err == nil && n == last {
			return n, nil
		}
		last = n
	}
	return last, err
}

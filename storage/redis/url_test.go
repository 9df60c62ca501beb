package redisstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

func TestParseURL(t *testing.T) {
	type want struct {
		mode       string // single, cluster, failover
		addrs      []string
		master     string
		db         int
		user, pass string // the data nodes' credentials
		sentinel   string // sentinel password
		tls        bool
		dial       time.Duration
		pool       int
	}
	tests := []struct {
		url  string
		want want
		err  string // substring of the error; "" for none
	}{
		{url: "redis://localhost:6380/2", want: want{mode: "single", addrs: []string{"localhost:6380"}, db: 2}},
		{url: "redis://:s3cret@10.0.0.1", want: want{mode: "single", addrs: []string{"10.0.0.1:6379"}, pass: "s3cret"}},
		{url: "rediss://bot:pw@redis.example:6390/0?dial_timeout=3s", want: want{mode: "single", addrs: []string{"redis.example:6390"}, user: "bot", pass: "pw", tls: true, dial: 3 * time.Second}},
		{
			url:  "redis+cluster://10.0.0.1:7000,10.0.0.2:7001,10.0.0.3",
			want: want{mode: "cluster", addrs: []string{"10.0.0.1:7000", "10.0.0.2:7001", "10.0.0.3:6379"}},
		},
		{
			url:  "rediss+cluster://u:p%40ss@a:7000,b:7000/?pool_size=64",
			want: want{mode: "cluster", addrs: []string{"a:7000", "b:7000"}, user: "u", pass: "p@ss", tls: true, pool: 64},
		},
		{
			url:  "redis+cluster://[::1]:7000,[::1]:7001",
			want: want{mode: "cluster", addrs: []string{"[::1]:7000", "[::1]:7001"}},
		},
		{url: "redis+cluster://a:7000/3", err: "no database path"},
		{url: "redis+cluster://", err: "no host"},
		{
			url:  "redis+sentinel://:pw@s1:26379,s2:26380,s3/mymaster/4",
			want: want{mode: "failover", addrs: []string{"s1:26379", "s2:26380", "s3:26379"}, master: "mymaster", db: 4, pass: "pw"},
		},
		{
			url:  "redis+sentinel://s1/mymaster?sentinel_password=spw&dial_timeout=2",
			want: want{mode: "failover", addrs: []string{"s1:26379"}, master: "mymaster", sentinel: "spw", dial: 2 * time.Second},
		},
		{
			url:  "rediss+sentinel://s1:26379,s2:26379/m",
			want: want{mode: "failover", addrs: []string{"s1:26379", "s2:26379"}, master: "m", tls: true},
		},
		{url: "redis+sentinel://s1:26379", err: "names the master"},
		{url: "redis+sentinel://s1:26379/m/x", err: "database"},
		{url: "redis+sentinel://s1:26379/m?bogus=1", err: "unexpected option"},
		{url: "memcached://x", err: "unknown scheme"},
		{url: "localhost:6379", err: "no scheme"},
		{url: "redis://:hunter2@h:1/0?bogus=1", err: "unexpected option"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := parseURL(tt.url)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parseURL(%q) error = %v, want one containing %q", tt.url, err, tt.err)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseURL(%q): %v", tt.url, err)
			}
			var got want
			switch {
			case c.single != nil:
				o := c.single
				got = want{mode: "single", addrs: []string{o.Addr}, db: o.DB, user: o.Username, pass: o.Password,
					tls: o.TLSConfig != nil, dial: o.DialTimeout, pool: o.PoolSize}
			case c.cluster != nil:
				o := c.cluster
				got = want{mode: "cluster", addrs: o.Addrs, user: o.Username, pass: o.Password,
					tls: o.TLSConfig != nil, dial: o.DialTimeout, pool: o.PoolSize}
				if o.TLSConfig != nil && o.TLSConfig.ServerName != "" {
					t.Errorf("cluster TLS ServerName = %q, want empty (each node verified by its own name)", o.TLSConfig.ServerName)
				}
			case c.failover != nil:
				o := c.failover
				got = want{mode: "failover", addrs: o.SentinelAddrs, master: o.MasterName, db: o.DB, user: o.Username,
					pass: o.Password, sentinel: o.SentinelPassword, tls: o.TLSConfig != nil, dial: o.DialTimeout, pool: o.PoolSize}
			}
			if got.mode != tt.want.mode || strings.Join(got.addrs, " ") != strings.Join(tt.want.addrs, " ") ||
				got.master != tt.want.master || got.db != tt.want.db || got.user != tt.want.user ||
				got.pass != tt.want.pass || got.sentinel != tt.want.sentinel || got.tls != tt.want.tls ||
				got.dial != tt.want.dial || got.pool != tt.want.pool {
				t.Errorf("parseURL(%q) =\n %+v\nwant\n %+v", tt.url, got, tt.want)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"redis://:pw@h:1/0":                 "redis://:xxxxx@h:1/0",
		"redis+sentinel://u:pw@a,b/m":       "redis+sentinel://u:xxxxx@a,b/m",
		"redis://h:1/0":                     "redis://h:1/0",
		"rediss+cluster://user@a:1,b:2?x=1": "rediss+cluster://user@a:1,b:2?x=1",
		"redis+sentinel://s1/m?sentinel_password=spw&dial_timeout=2":          "redis+sentinel://s1/m?sentinel_password=xxxxx&dial_timeout=2",
		"redis+sentinel://s1/m?password=pw&sentinel_username=u":               "redis+sentinel://s1/m?password=xxxxx&sentinel_username=u",
		"redis+sentinel://:a@s1/m?Sentinel_Password=b&password=c#frag":        "redis+sentinel://:xxxxx@s1/m?Sentinel_Password=xxxxx&password=xxxxx#frag",
		"redis+sentinel://s1/m?sentinel%5Fpassword=spw":                       "redis+sentinel://s1/m?sentinel%5Fpassword=xxxxx",
		"user:pw@localhost:6379":                                              "user:xxxxx@localhost:6379",
		"redis://h:1/0?password_hint=not-secret&client_name=pollbot-password": "redis://h:1/0?password_hint=not-secret&client_name=pollbot-password",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestURLErrorsHidePasswords: whichever way a URL carries a password (user
// info, percent-encoded, a password or sentinel_password option), the
// error for a URL that cannot be used does not repeat it.
func TestURLErrorsHidePasswords(t *testing.T) {
	for _, raw := range []string{
		"redis://:hunter2@h:1/0?bogus=1",
		"redis://u:hun%74er2@h:1/0?bogus=1",
		"redis://h:1/0?password=hunter2",
		"redis+sentinel://s1/m?sentinel_password=hunter2&bogus=1",
		"redis+sentinel://s1/m?password=hunter2&bogus=1",
		"redis+sentinel://s1?sentinel_password=hunter2",
		"redis+cluster://:hunter2@a:7000/3",
		"memcached://:hunter2@x?password=hunter2",
		":hunter2@localhost:6379",
	} {
		_, err := parseURL(raw)
		if err == nil {
			t.Errorf("parseURL(%q) accepted the URL; the test wants an error", raw)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "hun%74er2") {
			t.Errorf("parseURL(%q) error shows the password: %v", raw, err)
		}
	}
	// A valid URL whose Redis does not answer: Open's error names the URL.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, raw := range []string{
		"redis+sentinel://127.0.0.1:1/m?sentinel_password=hunter2&password=hunter2&dial_timeout=200ms",
		"redis://:hunter2@127.0.0.1:1/0?dial_timeout=200ms",
	} {
		_, err := Open(ctx, raw)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) = %v, want an error without the password", raw, err)
		}
	}
}

// fakeRedisErr is an error reply as go-redis reports one.
type fakeRedisErr string

func (e fakeRedisErr) Error() string { return string(e) }
func (fakeRedisErr) RedisError()     {}

func TestMapErr(t *testing.T) {
	tests := []struct {
		in   error
		want error
	}{
		{fakeRedisErr("POLLBOT_CLOSED poll is closed"), polls.ErrClosed},
		{fakeRedisErr("ERR POLLBOT_CANCELLED"), polls.ErrCancelled},
		{fakeRedisErr("POLLBOT_PAST_DEADLINE poll deadline has passed"), polls.ErrPastDeadline},
		{fakeRedisErr("POLLBOT_NOT_FOUND no such poll"), polls.ErrNotFound},
		{fakeRedisErr("POLLBOT_EXISTS x"), polls.ErrExists},
		{fakeRedisErr("POLLBOT_TOO_MANY_CHOICES x"), polls.ErrTooManyChoices},
		{fakeRedisErr("POLLBOT_NOT_OPEN x"), polls.ErrNotOpen},
	}
	for _, tt := range tests {
		if got := mapErr(tt.in); !errors.Is(got, tt.want) {
			t.Errorf("mapErr(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	other := fakeRedisErr("WRONGTYPE Operation against a key holding the wrong kind of value")
	if got := mapErr(other); got != error(other) {
		t.Errorf("mapErr(%q) = %v, want it unchanged", other, got)
	}
	plain := errors.New("dial tcp: connection refused")
	if got := mapErr(plain); got != plain {
		t.Errorf("mapErr(%v) = %v, want it unchanged", plain, got)
	}
}

package redisstore

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/redis/go-redis/v9"
)

// clientConfig is what a URL selects: exactly one of the three is set.
type clientConfig struct {
	single   *redis.Options
	cluster  *redis.ClusterOptions
	failover *redis.FailoverOptions
}

// NewClient returns a client for the Redis named by rawURL (see the package
// documentation for the forms). It does not connect.
//
// The client honours context deadlines on reads and writes
// (ContextTimeoutEnabled), whatever the URL says: without that, go-redis
// waits out its own 5 s read timeout on a Redis that stopped answering,
// and a click could not be answered within the 3 s Slack and Discord give
// (see bot/kit.AnswerWithin), nor /readyz within its 2 s.
func NewClient(rawURL string) (redis.UniversalClient, error) {
	c, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	switch {
	case c.cluster != nil:
		c.cluster.ContextTimeoutEnabled = true
		return redis.NewClusterClient(c.cluster), nil
	case c.failover != nil:
		c.failover.ContextTimeoutEnabled = true
		return redis.NewFailoverClient(c.failover), nil
	}
	c.single.ContextTimeoutEnabled = true
	return redis.NewClient(c.single), nil
}

func parseURL(rawURL string) (clientConfig, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return clientConfig{}, fmt.Errorf("redis URL %q: no scheme (want redis://, rediss://, redis+cluster:// or redis+sentinel://)", redactURL(rawURL))
	}
	var (
		c   clientConfig
		err error
	)
	switch strings.ToLower(scheme) {
	case "redis", "rediss", "unix":
		c.single, err = redis.ParseURL(rawURL)
	case "redis+cluster", "rediss+cluster":
		c.cluster, err = parseClusterURL(strings.TrimSuffix(strings.ToLower(scheme), "+cluster"), rest)
	case "redis+sentinel", "rediss+sentinel":
		c.failover, err = parseSentinelURL(strings.TrimSuffix(strings.ToLower(scheme), "+sentinel"), rest)
	default:
		err = fmt.Errorf("unknown scheme %q (want redis://, rediss://, redis+cluster:// or redis+sentinel://)", scheme)
	}
	if err != nil {
		// go-redis errors may quote the URL, password included.
		return clientConfig{}, fmt.Errorf("redis URL %q: %s", redactURL(rawURL), redactErr(err.Error(), rawURL))
	}
	return c, nil
}

// multiURL is a URL whose host part lists several host:port pairs, which
// net/url does not accept.
type multiURL struct {
	user  *url.Userinfo
	hosts []string // host:port, defaults applied
	path  string
	query url.Values
}

func splitMultiURL(rest string, defaultPort string) (multiURL, error) {
	var m multiURL
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		// Let net/url decode and validate the user info.
		u, err := url.Parse("redis://" + authority[:i+1] + "host")
		if err != nil {
			return m, errors.New("bad user or password (percent-encode special characters)")
		}
		m.user = u.User
		authority = authority[i+1:]
	}
	for h := range strings.SplitSeq(authority, ",") {
		if h == "" {
			continue
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			// No port: h is a bare host or a bracketed IPv6 address.
			host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), defaultPort
		}
		if host == "" || port == "" {
			return m, fmt.Errorf("bad address %q", h)
		}
		m.hosts = append(m.hosts, net.JoinHostPort(host, port))
	}
	if len(m.hosts) == 0 {
		return m, errors.New("no host")
	}
	u, err := url.Parse("redis://host" + tail)
	if err != nil {
		return m, err
	}
	m.path, m.query = u.Path, u.Query()
	return m, nil
}

// goRedisURL writes a URL in the form go-redis's ParseClusterURL and
// ParseFailoverURL read: the first host in the authority, the others as
// addr options.
func goRedisURL(scheme string, user *url.Userinfo, hosts []string, path string, q url.Values) string {
	q = cloneValues(q)
	for _, h := range hosts[1:] {
		q.Add("addr", h)
	}
	u := url.URL{Scheme: scheme, User: user, Host: hosts[0], Path: path, RawQuery: q.Encode()}
	return u.String()
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func parseClusterURL(scheme, rest string) (*redis.ClusterOptions, error) {
	m, err := splitMultiURL(rest, "6379")
	if err != nil {
		return nil, err
	}
	if strings.Trim(m.path, "/") != "" {
		return nil, errors.New("a cluster URL has no database path: Redis Cluster has only database 0")
	}
	o, err := redis.ParseClusterURL(goRedisURL(scheme, m.user, m.hosts, "", m.query))
	if err != nil {
		return nil, err
	}
	if o.TLSConfig != nil {
		// go-redis names the first seed as the TLS server for every node;
		// leaving it empty makes each connection verify the node it dials.
		o.TLSConfig.ServerName = ""
	}
	return o, nil
}

func parseSentinelURL(scheme, rest string) (*redis.FailoverOptions, error) {
	m, err := splitMultiURL(rest, "26379")
	if err != nil {
		return nil, err
	}
	parts := strings.FieldsFunc(m.path, func(r rune) bool { return r == '/' })
	if len(parts) < 1 || len(parts) > 2 {
		return nil, errors.New("a Sentinel URL names the master: redis+sentinel://host1:port1,host2:port2/mastername[/db]")
	}
	q := cloneValues(m.query)
	q.Set("master_name", parts[0])
	var sentinelUser *url.Userinfo
	if q.Has("sentinel_username") || q.Has("sentinel_password") {
		sentinelUser = url.UserPassword(q.Get("sentinel_username"), q.Get("sentinel_password"))
		q.Del("sentinel_username")
		q.Del("sentinel_password")
	}
	path := ""
	if len(parts) == 2 {
		path = "/" + parts[1]
	}
	o, err := redis.ParseFailoverURL(goRedisURL(scheme, sentinelUser, m.hosts, path, q))
	if err != nil {
		return nil, err
	}
	if m.user != nil {
		o.Username = m.user.Username()
		o.Password, _ = m.user.Password()
	}
	if o.TLSConfig != nil {
		o.TLSConfig.ServerName = ""
	}
	return o, nil
}

// secretParams are the query options whose values are passwords: the
// data nodes' (Sentinel URLs take them as options as well as user info) and
// the Sentinels' own.
var secretParams = []string{"password", "sentinel_password"}

// redactURL hides the passwords of a Redis URL for logs and errors: the
// one in its user info and the values of its password options. A URL with
// no scheme is read the same way, so a mistyped URL does not leak either.
func redactURL(raw string) string {
	prefix, rest := "", raw
	if scheme, r, ok := strings.Cut(raw, "://"); ok {
		prefix, rest = scheme+"://", r
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		if user, _, hasPass := strings.Cut(authority[:at], ":"); hasPass {
			authority = user + ":xxxxx" + authority[at:]
		}
	}
	return prefix + authority + redactQuery(tail)
}

// redactQuery replaces the values of secretParams in the query of a URL's
// tail (path, query, fragment).
func redactQuery(tail string) string {
	q := strings.IndexByte(tail, '?')
	if q < 0 {
		return tail
	}
	query, frag := tail[q+1:], ""
	if h := strings.IndexByte(query, '#'); h >= 0 {
		query, frag = query[:h], query[h:]
	}
	params := strings.Split(query, "&")
	for i, kv := range params {
		k, _, hasValue := strings.Cut(kv, "=")
		if name, err := url.QueryUnescape(k); hasValue && (err == nil && isSecretParam(name) || isSecretParam(k)) {
			params[i] = k + "=xxxxx"
		}
	}
	return tail[:q+1] + strings.Join(params, "&") + frag
}

func isSecretParam(name string) bool {
	for _, p := range secretParams {
		if strings.EqualFold(name, p) {
			return true
		}
	}
	return false
}

// redactErr removes the passwords of rawURL from an error message, as
// written in the URL and decoded.
func redactErr(msg, rawURL string) string {
	var secrets []string
	_, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		rest = rawURL
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
		if _, pass, ok := strings.Cut(rest[:at], ":"); ok {
			secrets = append(secrets, pass)
		}
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		query, _, _ := strings.Cut(rest[q+1:], "#")
		for kv := range strings.SplitSeq(query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			if name, err := url.QueryUnescape(k); err == nil && isSecretParam(name) || isSecretParam(k) {
				secrets = append(secrets, v)
			}
		}
	}
	for _, sec := range secrets {
		forms := []string{sec}
		if dec, err := url.PathUnescape(sec); err == nil {
			forms = append(forms, dec)
		}
		if dec, err := url.QueryUnescape(sec); err == nil {
			forms = append(forms, dec)
		}
		for _, f := range forms {
			if f != "" {
				msg = strings.ReplaceAll(msg, f, "xxxxx")
			}
		}
	}
	return msg
}

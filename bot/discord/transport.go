package discord

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// defaultAPIURL is DISCORD_API_URL's default, Discord's documented base URL.
// discordgo v0.29 builds its endpoints on API v9 (discordgo.EndpointAPI);
// its payloads are the same in v10, which the rewrite selects.
const defaultAPIURL = "https://discord.com/api/v10/"

// apiErr rewrites the URL that an error of a REST call quotes to the one
// called. discordgo builds every URL on discordgo.EndpointAPI (v9) and the
// transport sends it to api, but Go's HTTP client quotes the URL it was
// given: without this an operator would read an API version and host
// pollbot never called. It changes err in place and returns it.
func apiErr(api string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if rest, ok := strings.CutPrefix(ue.URL, discordgo.EndpointAPI); ok {
			ue.URL = strings.TrimSuffix(api, "/") + "/" + rest
		}
	}
	return err
}

// rewriteTransport points discordgo's REST calls at DISCORD_API_URL. It is
// set on the session's own http.Client, not on discordgo's package-level
// Endpoint variables, so adapters with different URLs (parallel tests, a
// proxy) coexist in one process.
type rewriteTransport struct {
	base    http.RoundTripper
	api     string // base URL that replaces discordgo.EndpointAPI
	gateway string // "" asks the API for the gateway URL
}

func (t *rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	u := r.URL.String()
	rest, ok := strings.CutPrefix(u, discordgo.EndpointAPI)
	if ok && t.gateway != "" && r.Method == http.MethodGet && (rest == "gateway" || rest == "gateway/bot") {
		return t.gatewayResponse(r)
	}
	if ok {
		r = r.Clone(r.Context())
		target := strings.TrimSuffix(t.api, "/") + "/" + rest
		nu, err := r.URL.Parse(target)
		if err != nil {
			return nil, err
		}
		r.URL = nu
		r.Host = nu.Host
	}
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}

// gatewayResponse answers GET /gateway locally when the gateway URL is
// configured, which is how discordgo learns where to dial.
func (t *rewriteTransport) gatewayResponse(r *http.Request) (*http.Response, error) {
	body, _ := json.Marshal(map[string]any{"url": t.gateway, "shards": 1})
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)), Request: r,
	}, nil
}

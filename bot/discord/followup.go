package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Follow-up messages without files are posted straight to Discord's
// webhook endpoint, POST {api}/webhooks/{application}/{token}, with a
// body from appendWebhook, on the adapter's keep-alive client: discordgo's
// request path (reflection-based marshalling, a rate-limit bucket per
// interaction token that is used once) costs about as much again as the
// rest of a vote (see docs/ARCHITECTURE.md, "Discord's wire format").
// Follow-ups with files keep discordgo's multipart path.

// maxFollowUpTries bounds how often one follow-up is sent: 429s are
// retried after the wait Discord asks for, 502s at once, as discordgo
// does; the follow-up's context bounds the whole.
const maxFollowUpTries = 4

// Header values every follow-up carries, shared: net/http only reads a
// request's headers.
var (
	jsonContent      = []string{"application/json"}
	identityEncoding = []string{"identity"}
)

// webhookError is Discord's refusal of a follow-up.
type webhookError struct {
	Status     string // "400 Bad Request"
	StatusCode int
	Body       []byte
}

func (e *webhookError) Error() string { return "HTTP " + e.Status + ", " + string(e.Body) }

// createFollowUp sends p as a follow-up message of in.
func (a *Adapter) createFollowUp(ctx context.Context, in *discordgo.Interaction, p *discordgo.WebhookParams) error {
	body, ok := appendWebhook(make([]byte, 0, 512), p)
	if !ok {
		_, err := a.session.FollowupMessageCreate(in, false, p, discordgo.WithContext(ctx))
		return a.apiErr(err)
	}
	url := a.webhookURL(in)
	for try := 1; ; try++ {
		wait, err := a.postWebhook(ctx, url, body)
		if wait < 0 || try == maxFollowUpTries {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (retrying: %w)", err, ctx.Err())
		case <-t.C:
		}
	}
}

func (a *Adapter) webhookURL(in *discordgo.Interaction) string {
	api := a.api
	if api == "" || api[len(api)-1] != '/' {
		api += "/"
	}
	return api + "webhooks/" + in.AppID + "/" + in.Token
}

// postWebhook posts body once. A wait of zero or more asks for another
// try after it.
func (a *Adapter) postWebhook(ctx context.Context, to string, body []byte) (wait time.Duration, err error) {
	c := a.direct
	if c.Timeout > 0 {
		// The client's timeout, as Client.Do would apply it, where the
		// context does not already end sooner (a vote's confirmation's
		// does: see confirmWithin). The body is read before this returns.
		if d, ok := ctx.Deadline(); !ok || time.Until(d) > c.Timeout {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.Timeout)
			defer cancel()
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to, bytes.NewReader(body))
	if err != nil {
		return -1, err
	}
	req.Header["Content-Type"] = jsonContent
	req.Header["User-Agent"] = []string{a.session.UserAgent}
	// Asked for as it is: the answer is drained or, on a refusal, a few
	// bytes of JSON, and without this the transport asks for gzip in a
	// header map of its own on every follow-up.
	req.Header["Accept-Encoding"] = identityEncoding
	var resp *http.Response
	if c.Jar != nil {
		resp, err = c.Do(req)
	} else {
		// Straight to the transport: Client.Do copies the request's
		// headers for redirects it might follow, on every vote's
		// follow-up, and Discord's webhook endpoint answers itself (a
		// redirect would be a failure, logged). Errors read as Do's.
		tr := c.Transport
		if tr == nil {
			tr = http.DefaultTransport
		}
		if resp, err = tr.RoundTrip(req); err != nil {
			err = &neturl.Error{Op: "Post", URL: to, Err: err}
		}
	}
	if err != nil {
		return -1, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		// Drained so the connection is reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return -1, nil
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	err = &webhookError{Status: resp.Status, StatusCode: resp.StatusCode, Body: data}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return retryAfter(resp.Header, data), err
	case http.StatusBadGateway:
		return 0, err
	}
	return -1, err
}

// retryAfter is how long a 429 asks to wait: the retry_after of its JSON
// body (seconds, fractional), else its Retry-After header (seconds), else
// a second.
func retryAfter(h http.Header, body []byte) time.Duration {
	var rl struct {
		RetryAfter *float64 `json:"retry_after"`
	}
	if json.Unmarshal(body, &rl) == nil && rl.RetryAfter != nil && *rl.RetryAfter >= 0 {
		return seconds(*rl.RetryAfter)
	}
	if s, err := strconv.ParseFloat(h.Get("Retry-After"), 64); err == nil && s >= 0 {
		return seconds(s)
	}
	return time.Second
}

// seconds is s seconds, at most a minute.
func seconds(s float64) time.Duration {
	if s > 60 {
		return time.Minute
	}
	return time.Duration(s * float64(time.Second))
}

// statusOf is the HTTP status of a refused follow-up, from either path.
func statusOf(err error) (code int, status string, ok bool) {
	var we *webhookError
	if errors.As(err, &we) {
		return we.StatusCode, we.Status, true
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.StatusCode, re.Response.Status, true
	}
	return 0, "", false
}

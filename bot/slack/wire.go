package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/pollbot/pollbot/internal/jsontext"
	"github.com/slack-go/slack"
)

// A click's confirmation is a private message posted to the click's
// response_url: text in plain sections (plainSections). slack-go encodes
// it by reflection, each block through its own MarshalJSON, which cost
// more than the post itself; appendWebhook writes the same JSON for the
// messages the vote path sends, and postWebhook posts it on the adapter's
// keep-alive client. TestWebhookWireMatchesSlackGo and FuzzWebhookWire
// hold the bytes to slack-go's: they must decode to what slack-go's
// encoding of the same message decodes to.

// appendWebhook appends m as encoding/json encodes it, when its blocks are
// all sections of one text object (no block id, fields, accessory or
// expand) and it sets nothing but text, blocks, response_type and
// replace_original; ok is false for any other message, which the caller
// encodes with encoding/json.
func appendWebhook(dst []byte, m *slack.WebhookMessage) (_ []byte, ok bool) {
	if m.Username != "" || m.IconEmoji != "" || m.IconURL != "" || m.Channel != "" || m.ThreadTimestamp != "" ||
		len(m.Attachments) > 0 || m.Parse != "" || m.ReplyBroadcast || m.UnfurlLinks != nil || m.UnfurlMedia != nil {
		return dst, false
	}
	dst = append(dst, '{')
	if m.Text != "" {
		dst = append(dst, `"text":`...)
		dst = jsontext.AppendString(dst, m.Text)
		dst = append(dst, ',')
	}
	if m.Blocks != nil {
		// slack.Blocks encodes its BlockSet: a nil one as null.
		if m.Blocks.BlockSet == nil {
			dst = append(dst, `"blocks":null,`...)
		} else {
			dst = append(dst, `"blocks":[`...)
		}
		for i, b := range m.Blocks.BlockSet {
			s, ok := b.(*slack.SectionBlock)
			if !ok || s == nil || s.BlockID != "" || len(s.Fields) > 0 || s.Accessory != nil || s.Expand {
				return dst, false
			}
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"type":`...)
			dst = jsontext.AppendString(dst, string(s.Type))
			if t := s.Text; t != nil {
				dst = append(dst, `,"text":{"type":`...)
				dst = jsontext.AppendString(dst, t.Type)
				dst = append(dst, `,"text":`...)
				dst = jsontext.AppendString(dst, t.Text)
				if t.Emoji != nil {
					dst = append(dst, `,"emoji":`...)
					dst = appendBool(dst, *t.Emoji)
				}
				if t.Verbatim {
					dst = append(dst, `,"verbatim":true`...)
				}
				dst = append(dst, '}')
			}
			dst = append(dst, '}')
		}
		if m.Blocks.BlockSet != nil {
			dst = append(dst, "],"...)
		}
	}
	if m.ResponseType != "" {
		dst = append(dst, `"response_type":`...)
		dst = jsontext.AppendString(dst, m.ResponseType)
		dst = append(dst, ',')
	}
	dst = append(dst, `"replace_original":`...)
	dst = appendBool(dst, m.ReplaceOriginal)
	dst = append(dst, `,"delete_original":`...)
	dst = appendBool(dst, m.DeleteOriginal)
	return append(dst, '}'), true
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// postWebhook posts m to a response_url as slack-go's
// PostWebhookCustomHTTPContext does (the same body, and the same errors
// for a status other than 200: slack.RateLimitedError for a 429 with
// Retry-After, else slack.StatusCodeError), encoded by appendWebhook where
// it can.
func postWebhook(ctx context.Context, client *http.Client, url string, m *slack.WebhookMessage) error {
	body, ok := appendWebhook(make([]byte, 0, 512), m)
	if !ok {
		var err error
		if body, err = json.Marshal(m); err != nil {
			return fmt.Errorf("marshal failed: %w", err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("failed new request: %w", err)
	}
	req.Header["Content-Type"] = []string{"application/json"}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("failed to post webhook: %w", err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
	}()
	if after := resp.Header.Get("Retry-After"); resp.StatusCode == http.StatusTooManyRequests && after != "" {
		sec, err := strconv.ParseInt(after, 10, 64)
		if err != nil {
			return err
		}
		return &slack.RateLimitedError{RetryAfter: time.Duration(sec) * time.Second}
	}
	if resp.StatusCode != http.StatusOK {
		return slack.StatusCodeError{Code: resp.StatusCode, Status: resp.Status}
	}
	return nil
}

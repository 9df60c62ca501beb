package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/pollbot/pollbot/bot/kit"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// maxBody bounds what an HTTP-mode request may send (and a Socket Mode
// envelope); Slack's payloads are a few kilobytes.
const maxBody = kit.MaxBody

// replayWindow is how old (or how far ahead) a request's timestamp may be.
const replayWindow = 5 * time.Minute

// Mount serves HTTP mode on mux: POST /slack/commands,
// /slack/interactions and /slack/events. Without a signing secret it does
// nothing, so no unverified endpoint ever exists.
func (a *Adapter) Mount(mux *http.ServeMux) {
	if a.cfg.SigningSecret == "" {
		return
	}
	mux.Handle("POST /slack/commands", a.verified(a.serveCommand))
	mux.Handle("POST /slack/interactions", a.verified(a.serveInteraction))
	mux.Handle("POST /slack/events", a.verified(a.serveEvent))
}

// verified checks the v0 signature and the timestamp before anything is
// parsed, and hands the handler the body it checked. A body over maxBody is
// 413 (no more than maxBody+1 bytes of it are read), a bad signature 401;
// neither reaches the engine.
func (a *Adapter) verified(next func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := kit.ReadBody(w, r, maxBody)
		if !ok {
			return
		}
		if err := a.verify(r.Header, body); err != nil {
			a.log.Warn("slack: rejected an unverified request", "path", r.URL.Path, "err", err)
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		// The signature names this request for the engine's
		// at-most-once check when its payload names none (see delivery).
		ctx, cancel := kit.AnswerContext(r.Context())
		defer cancel()
		r = r.WithContext(withSignature(ctx, r.Header.Get("X-Slack-Signature")))
		next(w, r, body)
	})
}

var errStale = errors.New("request timestamp outside the 5-minute window")

func (a *Adapter) verify(h http.Header, body []byte) error {
	sv, err := slack.NewSecretsVerifier(h, a.cfg.SigningSecret)
	if err != nil {
		return err
	}
	if _, err := sv.Write(body); err != nil {
		return err
	}
	if err := sv.Ensure(); err != nil {
		return err
	}
	// slack-go checks the window against the wall clock; checking it
	// against the injected clock too keeps tests and replicas honest.
	sec, err := strconv.ParseInt(h.Get("X-Slack-Request-Timestamp"), 10, 64)
	if err != nil {
		return err
	}
	if d := a.now().Sub(time.Unix(sec, 0)); d > replayWindow || d < -replayWindow {
		return errStale
	}
	return nil
}

func (a *Adapter) serveCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	if form, err := formContent(r.Header.Get("Content-Type")); err == nil && form {
		// Parse the form from the body already read, rather than have
		// ParseForm read it all again.
		if form, err := url.ParseQuery(string(body)); err == nil {
			r.PostForm = form
		}
	}
	if r.FormValue("ssl_check") == "1" {
		// Slack checking the certificate of the request URL.
		w.WriteHeader(http.StatusOK)
		return
	}
	sc, err := slack.SlashCommandParse(r)
	if err != nil || sc.TeamID == "" || sc.UserID == "" {
		http.Error(w, "malformed slash command", http.StatusBadRequest)
		return
	}
	ack := a.command(r.Context(), sc)
	if ack == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, ack)
}

func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request, body []byte) {
	// The form's one field, unescaped into a pooled buffer: what
	// ParseForm and PostForm.Get("payload") give, and refuse.
	form, err := formContent(r.Header.Get("Content-Type"))
	var payload []byte
	if err == nil && form {
		buf := payloadBufs.Get()
		payload, _, err = appendFormValue((*buf)[:0], body, "payload")
		defer payloadBufs.Put(buf, payload)
	}
	if err != nil {
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	if kit.JSONTooDeep(payload, kit.MaxJSONDepth) {
		http.Error(w, fmt.Sprintf("malformed interaction payload: JSON nested more than %d levels deep", kit.MaxJSONDepth), http.StatusBadRequest)
		return
	}
	cb, err := decodeInteraction(payload)
	if err != nil || cb.Type == "" || cb.User.ID == "" || cb.Team.ID == "" {
		http.Error(w, "malformed interaction payload", http.StatusBadRequest)
		return
	}
	if ack := a.interaction(r.Context(), cb); ack != nil {
		writeJSON(w, ack)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// serveEvent answers the Events API: the URL verification challenge, and
// an empty acknowledgement for events (pollbot subscribes to none it acts
// on; the endpoint exists so the manifest's request URL verifies).
func (a *Adapter) serveEvent(w http.ResponseWriter, _ *http.Request, body []byte) {
	if kit.JSONTooDeep(body, kit.MaxJSONDepth) {
		http.Error(w, fmt.Sprintf("malformed event: JSON nested more than %d levels deep", kit.MaxJSONDepth), http.StatusBadRequest)
		return
	}
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	if ev.Type == slackevents.URLVerification {
		var ch slackevents.ChallengeResponse
		if err := json.Unmarshal(body, &ch); err != nil {
			http.Error(w, "malformed challenge", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, ch.Challenge)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func writeJSON(w http.ResponseWriter, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}

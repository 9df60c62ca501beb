package loadgen

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/slack-go/slack"
)

// SlackBaseline is the verify-only baseline for Slack: POST
// /slack/commands, /slack/interactions and /slack/events check the
// signature with slack.NewSecretsVerifier (as pollbot does, 5-minute
// window included) and answer 200 with an empty body, or 401. What a vote
// costs beyond this is what pollbot adds.
func SlackBaseline(secret string) http.Handler {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		sv, err := slack.NewSecretsVerifier(r.Header, secret)
		if err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", h)
	mux.Handle("POST /slack/interactions", h)
	mux.Handle("POST /slack/events", h)
	return mux
}

// DiscordBaseline is the verify-only baseline for Discord: POST
// /discord/interactions checks that the timestamp is within 5 minutes and
// the Ed25519 signature with discordgo.VerifyInteraction, as pollbot does,
// and answers every verified request with a PONG ({"type":1}) without
// decoding the body, or 401.
func DiscordBaseline(pub ed25519.PublicKey) http.Handler {
	const pong = `{"type":1}`
	mux := http.NewServeMux()
	mux.HandleFunc("POST /discord/interactions", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		sec, err := strconv.ParseInt(r.Header.Get("X-Signature-Timestamp"), 10, 64)
		if d := time.Since(time.Unix(sec, 0)); err != nil || d > 5*time.Minute || d < -5*time.Minute || !discordgo.VerifyInteraction(r, pub) {
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(pong)))
		_, _ = io.WriteString(w, pong)
	})
	return mux
}

// Server is an HTTP server on a loopback port, for the baselines.
type Server struct {
	URL string // http://127.0.0.1:port
	srv *http.Server
}

// Serve serves h on addr (loopback only; empty picks a free port on
// 127.0.0.1) until Close.
func Serve(addr string, h http.Handler) (*Server, error) {
	addr = cmp(addr, "127.0.0.1:0")
	if err := CheckLoopback(context.Background(), addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("loadgen: listen: %w", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server, waiting up to 5 s for requests under way.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/polls"
)

// TestRunStoppedWhileRegistering: a shutdown that comes while the
// commands are being registered (Discord slow to answer) ends Run without
// an error, as one that comes later does; a registration Discord refuses
// is still an error.
func TestRunStoppedWhileRegistering(t *testing.T) {
	got := make(chan struct{}, 1)
	end := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server hears the client go only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case got <- struct{}{}:
		default:
		}
		select { // never answers
		case <-r.Context().Done():
		case <-end:
		}
	}))
	defer slow.Close()
	defer close(end)
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"message":"401: Unauthorized","code":0}`))
	}))
	defer refusing.Close()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Now().UTC()}
	eng := bot.New(polls.NewService(boltStore(t, c)), testConfig())
	cfg := Config{BotToken: testToken, AppID: testApp, APIURL: slow.URL + "/api/v10/", PublicKey: hex.EncodeToString(pub)}
	a, err := New(eng, cfg, WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not register the commands")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run stopped while registering: %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}

	cfg.APIURL = refusing.URL + "/api/v10/"
	b, err := New(eng, cfg, WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Run(t.Context()); err == nil {
		t.Error("Run with a registration Discord refuses returned nil")
	}
}

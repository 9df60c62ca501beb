package loadgen

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Discord sends signed interactions to pollbot's HTTP interactions endpoint
// as Discord does. It is safe for concurrent use.
type Discord struct {
	url                   string
	key                   ed25519.PrivateKey
	app, guild, channel   string
	client                *http.Client
	now                   func() time.Time
	appJSON, guildChannel []byte // pre-escaped template pieces
}

// NewDiscord returns a Discord client for cfg. It refuses a BaseURL that
// does not resolve to loopback only, and a missing key.
func NewDiscord(ctx context.Context, cfg DiscordConfig) (*Discord, error) {
	if err := CheckLoopback(ctx, cfg.BaseURL); err != nil {
		return nil, err
	}
	if len(cfg.PrivateKey) != ed25519.PrivateKeySize {
		return nil, errors.New("loadgen: Discord private key missing or malformed")
	}
	d := &Discord{
		url:     strings.TrimSuffix(cfg.BaseURL, "/") + "/discord/interactions",
		key:     cfg.PrivateKey,
		app:     cmp(cfg.AppID, DefaultDiscordApp),
		guild:   cmp(cfg.GuildID, DefaultDiscordGuild),
		channel: cmp(cfg.ChannelID, DefaultDiscordChannel),
		client:  cfg.HTTPClient,
		now:     cfg.Now,
	}
	if d.client == nil {
		d.client = defaultClient()
	}
	if d.now == nil {
		d.now = time.Now
	}
	d.appJSON = appendJSONString(nil, d.app)
	gc := append([]byte(`,"guild_id":`), appendJSONString(nil, d.guild)...)
	gc = append(gc, `,"channel_id":`...)
	d.guildChannel = appendJSONString(gc, d.channel)
	return d, nil
}

// KeyFromSeed returns the Ed25519 private key of a 32-byte seed given as
// 64 hex characters, so a benchmark can be started with a key whose public
// half was configured in pollbot beforehand.
func KeyFromSeed(hexSeed string) (ed25519.PrivateKey, error) {
	seed, err := hex.DecodeString(strings.TrimSpace(hexSeed))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("loadgen: a Discord key seed is 64 hex characters")
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// PublicKeyHex returns the public half of key as pollbot's
// DISCORD_PUBLIC_KEY expects it: 64 hex characters.
func PublicKeyHex(key ed25519.PrivateKey) string {
	return hex.EncodeToString(key.Public().(ed25519.PublicKey))
}

// SignDiscord sets X-Signature-Timestamp and X-Signature-Ed25519 for body
// as Discord does: the hex Ed25519 signature of the decimal Unix timestamp
// followed by the body, which discordgo.VerifyInteraction checks.
func SignDiscord(h http.Header, key ed25519.PrivateKey, body []byte, at time.Time) {
	ts := strconv.FormatInt(at.Unix(), 10)
	msg := make([]byte, 0, len(ts)+len(body))
	msg = append(append(msg, ts...), body...)
	h["X-Signature-Timestamp"] = []string{ts}
	h["X-Signature-Ed25519"] = []string{hex.EncodeToString(ed25519.Sign(key, msg))}
}

// Option constructors for Command.
func StringOpt(name, v string) CommandOption         { return CommandOption{name, 3, v} }
func IntOpt(name string, v int) CommandOption        { return CommandOption{name, 4, v} }
func BoolOpt(name string, v bool) CommandOption      { return CommandOption{name, 5, v} }
func UserOpt(name, userID string) CommandOption      { return CommandOption{name, 6, userID} }
func NumberOpt(name string, v float64) CommandOption { return CommandOption{name, 10, v} }

// Token returns the interaction token of an interaction from user: the
// sink reads the user back from it to count follow-ups per user.
func interactionToken(user string, n uint64) string {
	return "lg-" + url.PathEscape(user) + "-" + strconv.FormatUint(n, 10)
}

// tokenUser is the inverse of interactionToken and of a click's token
// ("lg-<user>-<n>.<stamp>"): the user and the stamp ("" for a token
// without one); user is "" when the token is not one of ours.
func tokenUser(token string) (user, stamp string) {
	rest, ok := strings.CutPrefix(token, "lg-")
	i := strings.LastIndexByte(rest, '-')
	if !ok || i <= 0 {
		return "", ""
	}
	u, err := url.PathUnescape(rest[:i])
	if err != nil {
		return "", ""
	}
	_, stamp, _ = strings.Cut(rest[i+1:], ".")
	return u, stamp
}

// Command sends the APPLICATION_COMMAND interaction "/poll <sub>" with
// typed options, from member m in the configured guild and channel.
func (d *Discord) Command(ctx context.Context, m Member, sub string, opts ...CommandOption) (DiscordReply, error) {
	n := nextUniq()
	os := make([]map[string]any, 0, len(opts))
	for _, o := range opts {
		os = append(os, map[string]any{"name": o.Name, "type": o.Type, "value": o.Value})
	}
	in := d.base(m, 2, n)
	in["data"] = map[string]any{"id": "800000000000000001", "name": "poll", "type": 1,
		"options": []any{map[string]any{"name": sub, "type": 1, "options": os}}}
	body, err := json.Marshal(in)
	if err != nil {
		return DiscordReply{}, err
	}
	return d.Post(ctx, body)
}

func (d *Discord) base(m Member, typ int, n uint64) map[string]any {
	roles := m.Roles
	if roles == nil {
		roles = []string{}
	}
	return map[string]any{
		"id": strconv.FormatUint(n, 10), "application_id": d.app, "type": typ,
		"token": interactionToken(m.ID, n), "version": 1,
		"guild_id": d.guild, "channel_id": d.channel,
		"member": map[string]any{"user": map[string]any{"id": m.ID, "username": "u" + m.ID}, "roles": roles},
	}
}

// Click sends a MESSAGE_COMPONENT interaction: member m clicked the button
// customID (such as "pollbot:vote:K7QX:3") on message messageID. It is
// ClickAt with the time of the call.
func (d *Discord) Click(ctx context.Context, m Member, messageID, customID string) (DiscordReply, error) {
	return d.ClickAt(ctx, time.Now(), m, messageID, customID)
}

// ClickAt is Click for a click that was due at due (an open-loop
// schedule's time): its interaction token carries due, so the sink
// measures the follow-up's lag from it (Sink.TakeConfirmationLags).
func (d *Discord) ClickAt(ctx context.Context, due time.Time, m Member, messageID, customID string) (DiscordReply, error) {
	return d.Post(ctx, d.appendComponent(make([]byte, 0, 512), due, m, messageID, customID, nil))
}

// Select sends a MESSAGE_COMPONENT interaction: member m chose values in
// the string select menu customID on message messageID.
func (d *Discord) Select(ctx context.Context, m Member, messageID, customID string, values ...string) (DiscordReply, error) {
	if values == nil {
		values = []string{}
	}
	return d.Post(ctx, d.appendComponent(make([]byte, 0, 512), time.Now(), m, messageID, customID, values))
}

// AppendClick appends the JSON of a button click interaction (what Click
// sends) to dst. discordgo decodes it into an Interaction of type 3 with
// the member, guild, channel, message and MessageComponentData.
func (d *Discord) AppendClick(dst []byte, m Member, messageID, customID string) []byte {
	return d.appendComponent(dst, time.Now(), m, messageID, customID, nil)
}

// appendComponent appends a component interaction due at due (its stamp
// ends the token): a button (component type 2) when values is nil, else a
// string select (type 3).
func (d *Discord) appendComponent(dst []byte, due time.Time, m Member, messageID, customID string, values []string) []byte {
	n := nextUniq()
	dst = append(dst, `{"id":"`...)
	dst = strconv.AppendUint(dst, n, 10)
	dst = append(dst, `","application_id":`...)
	dst = append(dst, d.appJSON...)
	dst = append(dst, `,"type":3,"token":"lg-`...)
	dst = appendJSONInner(dst, url.PathEscape(m.ID))
	dst = append(dst, '-')
	dst = strconv.AppendUint(dst, n, 10)
	dst = append(dst, '.')
	dst = appendStamp(dst, due)
	dst = append(dst, `","version":1`...)
	dst = append(dst, d.guildChannel...)
	dst = append(dst, `,"member":{"user":{"id":`...)
	dst = appendJSONString(dst, m.ID)
	dst = append(dst, `,"username":"loadgen"},"roles":[`...)
	for i, r := range m.Roles {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, r)
	}
	dst = append(dst, `]},"message":{"id":`...)
	dst = appendJSONString(dst, messageID)
	dst = append(dst, `,"channel_id":`...)
	dst = appendJSONString(dst, d.channel)
	dst = append(dst, `},"data":{"custom_id":`...)
	dst = appendJSONString(dst, customID)
	if values == nil {
		return append(dst, `,"component_type":2}}`...)
	}
	dst = append(dst, `,"component_type":3,"values":[`...)
	for i, v := range values {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, v)
	}
	return append(dst, `]}}`...)
}

// Ping sends a PING (type 1), which pollbot answers with a PONG (type 1)
// after checking the signature.
func (d *Discord) Ping(ctx context.Context) (DiscordReply, error) {
	n := nextUniq()
	body := fmt.Appendf(nil, `{"id":"%d","application_id":%s,"type":1,"token":"lg-ping-%d","version":1}`, n, d.appJSON, n)
	return d.Post(ctx, body)
}

// Post signs body and sends it to the interactions endpoint; for
// interactions the other methods do not build (and for malformed ones).
func (d *Discord) Post(ctx context.Context, body []byte) (DiscordReply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
	if err != nil {
		return DiscordReply{}, err
	}
	req.Header["Content-Type"] = []string{"application/json"}
	SignDiscord(req.Header, d.key, body, d.now())
	resp, err := d.client.Do(req)
	if err != nil {
		return DiscordReply{}, err
	}
	data, err := readBody(resp)
	r := DiscordReply{Status: resp.StatusCode, Body: data}
	if err != nil {
		return r, err
	}
	if resp.StatusCode == http.StatusOK {
		var v struct {
			Type int `json:"type"`
			Data *struct {
				Content string `json:"content"`
				Flags   int    `json:"flags"`
			} `json:"data"`
		}
		if err := json.Unmarshal(data, &v); err != nil {
			return r, fmt.Errorf("loadgen: decode interaction response: %w", err)
		}
		r.Type = v.Type
		if v.Data != nil {
			r.Content, r.Flags = v.Data.Content, v.Data.Flags
		}
	}
	return r, nil
}

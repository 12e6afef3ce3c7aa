// Package telegram is kefu's Telegram channel: members talk to the bot in a
// private chat and get the same conversation as on the web (DESIGN §5).
//
// Updates arrive by long polling, or by webhook when a webhook URL is
// configured (Telegram's secret-token header is checked). Each update is
// handled once: handled update_ids and the polling offset are kept in the
// runtime's store, so neither a redelivery nor a restart handles one twice.
// Updates of one chat are handled in order, different chats in parallel.
//
// Every message the runtime adds to a Telegram conversation — the bot's, an
// agent's, a system notice — is sent to the member in order, within
// Telegram's limits (about 30 messages a second in all, about one a second
// per chat with short bursts, and its 429 retry_after). The last message
// delivered is recorded per conversation: what could not be sent (a receipt
// while Telegram was failing, or while kefu was down) is sent once Telegram
// accepts it, after a restart included.
package telegram

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/text/language"
	"golang.org/x/time/rate"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/ratelimit"
	"github.com/kefu-dev/kefu/locales"
)

// ChannelName is the runtime's name for this channel.
const ChannelName = "telegram"

// DefaultAPIURL is Telegram's public Bot API.
const DefaultAPIURL = "https://api.telegram.org"

// Defaults of Config.
const (
	DefaultPollTimeout = 50 * time.Second
	DefaultGlobalRate  = 30 // messages a second to all chats
	DefaultChatRate    = 1  // messages a second to one chat…
	DefaultChatBurst   = 4  // …after a burst of this many

	dedupTTL       = 48 * time.Hour // Telegram keeps an update at most 24 hours
	maxInFlight    = 1024           // updates received but not yet handled
	maxChatBacklog = 100            // of which one chat may hold
	sendTimeout    = 20 * time.Second
	firstBackoff   = 200 * time.Millisecond // of a failed send, doubling…
	maxBackoff     = 30 * time.Second       // …up to this
	webhookWait    = 10 * time.Second       // a webhook request waits this long for its update to be handled
	maxUpdateBytes = 1 << 20
)

// Config configures an Adapter.
type Config struct {
	Runtime Runtime
	Token   string
	// APIURL is the Bot API base URL without /bot<token>; default
	// DefaultAPIURL.
	APIURL string
	// WebhookURL, when set, is the public HTTPS URL Telegram posts updates
	// to; WebhookHandler must be mounted at its path. Empty: long polling.
	WebhookURL string
	Log        *slog.Logger // nil: slog.Default()

	// PollTimeout is how long one getUpdates call waits for updates.
	PollTimeout time.Duration

	// Outbound limits. Zero takes the default; a negative rate turns the
	// limit off (tests, benchmarks).
	GlobalRate float64
	ChatRate   float64
	ChatBurst  int
}

// Adapter connects Telegram to a runtime. Start it, mount WebhookHandler in
// webhook mode, and Shutdown before closing the runtime. Its methods are
// safe for concurrent use.
type Adapter struct {
	rt          Runtime
	log         *slog.Logger
	tg          *tgbot.Bot
	transport   *http.Transport
	apiURL      string
	webhookURL  string
	webhookPath string
	secret      string // the webhook's secret token
	botKey      string // the bot's ID, from the token: keys its update_ids and offset

	// Sends are paced by their chat's limiter (chat.limit, of chatRate and
	// chatBurst) and then by globalLimit, which one sender at a time, the
	// holder of globalTurn, waits on.
	globalLimit *rate.Limiter
	globalTurn  chan struct{}
	chatRate    rate.Limit
	chatBurst   int
	groupLimit  *ratelimit.Limiter // deep-link replies in groups

	ctx         context.Context // work in progress; cancelled last by Shutdown
	cancel      context.CancelFunc
	stopping    context.Context // cancelled by Shutdown: senders stop…
	stopSenders context.CancelFunc
	quit        <-chan struct{} // …and this, its Done channel, is closed

	mu          sync.Mutex
	me          *models.User
	chats       map[int64]*chat
	unsubscribe func() // from the runtime's messages; set by Start
	started     bool
	closing     bool // no new updates
	stopped     bool // no new senders
	pollStop    context.CancelFunc
	pollDone    chan struct{}

	slots   chan struct{}  // one per update in flight (received, not yet handled)
	inbound sync.WaitGroup // chat inbox workers
	senders sync.WaitGroup // chat outbox workers and start-up chores

	offMu     sync.Mutex
	offOrder  []int64 // polled update_ids not yet handled, oldest first…
	offDone   map[int64]bool
	offLast   int64         // …and the newest whose predecessors are all handled
	offDirty  chan struct{} // the offset advanced since it was saved
	offSaveMu sync.Mutex
	offSaved  int64

	api apiHealth // what the Bot API's answers say

	// Test hooks, set before Start.
	beforeHandle func(*models.Update)
	afterHandle  func(*models.Update)
	paced        func(chat int64, chatAt, globalAt time.Time) // when each limiter let a send go
	firstTry     time.Duration                                // Connect's wait for the API: FirstTry
}

// New returns an adapter for cfg; Start connects it.
func New(cfg Config) (*Adapter, error) {
	if cfg.Runtime == nil {
		return nil, errors.New("telegram: no runtime")
	}
	token := strings.TrimSpace(cfg.Token)
	if token == "" {
		return nil, errors.New("telegram: no bot token")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = DefaultPollTimeout
	}
	if cfg.PollTimeout < 2*time.Second {
		cfg.PollTimeout = 2 * time.Second // the library asks Telegram for a second less
	}
	cfg.GlobalRate = rateOr(cfg.GlobalRate, DefaultGlobalRate)
	cfg.ChatRate = rateOr(cfg.ChatRate, DefaultChatRate)
	if cfg.ChatBurst <= 0 {
		cfg.ChatBurst = DefaultChatBurst
	}
	api, err := url.Parse(cfg.APIURL)
	if err != nil || (api.Scheme != "http" && api.Scheme != "https") || api.Host == "" {
		return nil, fmt.Errorf("telegram: API URL %q is not an http(s) URL", cfg.APIURL)
	}
	a := &Adapter{
		rt:          cfg.Runtime,
		log:         cfg.Log.With("channel", ChannelName),
		apiURL:      strings.TrimRight(cfg.APIURL, "/"),
		webhookURL:  cfg.WebhookURL,
		globalLimit: rate.NewLimiter(limitOf(cfg.GlobalRate), max(1, int(cfg.GlobalRate/10))),
		globalTurn:  make(chan struct{}, 1),
		chatRate:    limitOf(cfg.ChatRate),
		chatBurst:   cfg.ChatBurst,
		groupLimit:  ratelimit.New(0.1, 2, nil),
		firstTry:    FirstTry,
		chats:       map[int64]*chat{},
		slots:       make(chan struct{}, maxInFlight),
		offDone:     map[int64]bool{},
		offDirty:    make(chan struct{}, 1),
	}
	if id, _, ok := strings.Cut(token, ":"); ok {
		a.botKey = id
	} else {
		a.botKey = "0"
	}
	if cfg.WebhookURL != "" {
		u, err := url.Parse(cfg.WebhookURL)
		if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
			return nil, fmt.Errorf("telegram: webhook URL %q is not an http(s) URL", cfg.WebhookURL)
		}
		a.webhookPath = u.EscapedPath()
		if a.webhookPath == "" {
			a.webhookPath = "/"
		}
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		a.secret = hex.EncodeToString(b)
	}
	offset, err := a.rt.ChannelState().Cursor(context.Background(), a.offsetKey())
	if err != nil {
		return nil, fmt.Errorf("telegram: read polling offset: %w", err)
	}
	a.offLast, a.offSaved = offset, offset
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.stopping, a.stopSenders = context.WithCancel(context.Background())
	a.quit = a.stopping.Done()
	// The client's own timeout stays above the poll's, or every long poll
	// would end as a timeout; other calls have a context deadline of
	// sendTimeout.
	// Every call goes to one host: keep a connection per busy sender.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	client := &http.Client{Timeout: cfg.PollTimeout + 10*time.Second, Transport: observed{sizedBodies{transport}, a.api.observe}}
	a.transport = transport
	a.tg, err = tgbot.New(token,
		tgbot.WithServerURL(a.apiURL),
		tgbot.WithSkipGetMe(), // Start calls getMe itself, to tell a refused token from a network error
		tgbot.WithHTTPClient(cfg.PollTimeout, client),
		tgbot.WithDefaultHandler(func(ctx context.Context, _ *tgbot.Bot, u *models.Update) { a.dispatch(ctx, u, nil) }),
		// One update at a time from the poller into dispatch, which queues
		// it per chat; the unbuffered channel keeps the library from
		// fetching (and so confirming) far ahead of what is handled.
		tgbot.WithNotAsyncHandlers(),
		tgbot.WithWorkers(1),
		tgbot.WithUpdatesChannelCap(0),
		tgbot.WithInitialOffset(offset),
		tgbot.WithAllowedUpdates(allowedUpdates),
		tgbot.WithErrorsHandler(func(err error) { a.log.Warn("bot api", "err", err) }),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	return a, nil
}

// sizedBodies sends each request with its whole body and a Content-Length.
// The library streams its multipart form through a pipe, which net/http
// sends chunked and flushes chunk by chunk: a write system call (and over
// TLS a record) for every part of every form. Read whole, a call is one or
// two writes.
type sizedBodies struct{ next http.RoundTripper }

func (s sizedBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody || req.ContentLength > 0 {
		return s.next.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	sized := *req // RoundTrip must not change the caller's request
	sized.ContentLength = int64(len(body))
	sized.GetBody = func() (io.ReadCloser, error) {
		if len(body) == 0 {
			return http.NoBody, nil // a body of length 0 would be "unknown"
		}
		return io.NopCloser(bytes.NewReader(body)), nil
	}
	sized.Body, _ = sized.GetBody()
	return s.next.RoundTrip(&sized)
}

var allowedUpdates = []string{models.AllowedUpdateMessage, models.AllowedUpdateCallbackQuery}

func rateOr(r, def float64) float64 {
	switch {
	case r == 0:
		return def
	case r < 0:
		return 0 // off: see limitOf
	}
	return r
}

// limitOf is the rate.Limit of r messages a second; 0 is no limit.
func limitOf(r float64) rate.Limit {
	if r <= 0 {
		return rate.Inf
	}
	return rate.Limit(r)
}

func (a *Adapter) offsetKey() string { return "telegram/offset/" + a.botKey }

func deliveredKey(conv string) string { return "telegram/delivered/" + conv }

// Start checks the token (getMe), resumes delivery to every known Telegram
// conversation, registers the bot's commands, and starts receiving updates:
// it sets the webhook, or starts long polling. It returns once updates
// flow; an error when the token is refused, the Bot API cannot be reached
// before ctx ends, or the webhook cannot be set. Connect is the same
// without waiting for the Bot API.
func (a *Adapter) Start(ctx context.Context) error {
	if err := a.begin(); err != nil {
		return err
	}
	me, err := a.getMe(ctx)
	if err != nil {
		return err
	}
	return a.connect(ctx, me)
}

// begin marks the adapter started; an error when it was already.
func (a *Adapter) begin() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started {
		return errors.New("telegram: already started")
	}
	a.started = true
	return nil
}

// connect sets the webhook (or deletes a stale one), registers the
// commands and starts leading; a failed setWebhook may be retried.
func (a *Adapter) connect(ctx context.Context, me *models.User) error {
	a.mu.Lock()
	a.me = me
	a.mu.Unlock()
	a.log.Info("telegram bot", "username", me.Username, "mode", a.mode())

	if a.webhookURL != "" {
		params := &tgbot.SetWebhookParams{
			URL:            a.webhookURL,
			SecretToken:    a.secret,
			AllowedUpdates: allowedUpdates,
		}
		if a.rt.Shared() {
			// Instances behind one URL: Telegram posts one update at a
			// time and each is answered once handled, so a chat's
			// updates are handled in order whichever instance takes
			// them. One update at a time is hundreds a second, well above
			// the 30 messages a second Telegram lets a bot send.
			params.MaxConnections = 1
		}
		if _, err := a.tg.SetWebhook(ctx, params); err != nil {
			return fmt.Errorf("telegram: setWebhook %s: %w", a.webhookURL, err)
		}
	} else if _, err := a.tg.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{}); err != nil {
		// A webhook left from an earlier deployment makes getUpdates fail.
		a.log.Warn("deleteWebhook", "err", err)
	}
	a.background(a.setCommands)
	if !a.rt.Shared() {
		if err := a.lead(ctx); err != nil {
			return err
		}
		a.api.connected()
		return nil
	}
	// Several instances: one leads (sends every message, and polls in
	// polling mode); the others take webhook updates only, and take over
	// when the leader's connection to the store breaks.
	a.mu.Lock()
	if a.stopped {
		a.mu.Unlock()
		return errStopped
	}
	a.senders.Add(1)
	a.mu.Unlock()
	go a.campaign()
	a.api.connected()
	return nil
}

// campaignEvery is how often an instance that does not lead tries to.
const campaignEvery = 2 * time.Second

// campaign leads whenever this instance can, until Shutdown.
func (a *Adapter) campaign() {
	defer a.senders.Done()
	for {
		release, lost, ok, err := a.rt.Lead(context.Background(), "telegram/"+a.botKey)
		if err != nil {
			a.log.Warn("telegram leadership", "err", err)
		}
		if ok {
			if err := a.lead(context.Background()); err != nil {
				a.log.Error("telegram: take the lead", "err", err)
			} else {
				a.log.Info("telegram: this instance leads")
				select {
				case <-lost:
					a.log.Warn("telegram: lost the lead")
				case <-a.quit:
				}
			}
			a.abdicate()
			release()
		}
		select {
		case <-a.quit:
			return
		case <-time.After(campaignEvery):
		}
	}
}

// lead subscribes to every Telegram conversation's messages, resumes
// delivery where it stopped, and starts long polling (in polling mode).
func (a *Adapter) lead(ctx context.Context) error {
	// Subscribed first, so what the scan misses arrives live. Only chats
	// with messages not yet delivered (a receipt that could not be sent
	// before a restart) are taken up now; the others when they talk.
	a.forgetChats()
	unsubscribe := a.rt.SubscribeChannel(ChannelName, a.published)
	a.mu.Lock()
	old := a.unsubscribe // of a lead that failed half-way
	a.unsubscribe = unsubscribe
	a.mu.Unlock()
	if old != nil {
		old()
	}
	convs, err := a.rt.Conversations(ctx, ChannelName)
	if err != nil {
		return fmt.Errorf("telegram: list conversations: %w", err)
	}
	for _, c := range convs {
		id, err := strconv.ParseInt(c.User, 10, 64)
		if err != nil {
			a.log.Error("conversation with an unreadable chat id", "conv", c.ID)
			continue
		}
		cursor, err := a.rt.ChannelState().Cursor(ctx, deliveredKey(c.ID))
		if err != nil {
			return fmt.Errorf("telegram: resume conversation %s: %w", c.ID, err)
		}
		if c.Seq <= uint64(cursor) {
			continue
		}
		if err := a.attach(a.chat(id), c.ID, c.Seq); err != nil {
			return fmt.Errorf("telegram: resume conversation %s: %w", c.ID, err)
		}
	}
	if a.webhookURL != "" {
		return nil
	}
	pollCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	a.mu.Lock()
	if a.closing { // Shutdown began while a background Connect got here
		a.mu.Unlock()
		stop()
		return errStopped
	}
	a.pollStop, a.pollDone = stop, done
	a.mu.Unlock()
	a.background(a.saveOffsets)
	go func() {
		defer close(done)
		a.tg.Start(pollCtx)
	}()
	return nil
}

// abdicate stops what lead started: polling and sending. Chats forget their
// delivery position; a next lead reads it from the store again.
func (a *Adapter) abdicate() {
	a.mu.Lock()
	stop, done, unsubscribe := a.pollStop, a.pollDone, a.unsubscribe
	a.pollStop, a.pollDone, a.unsubscribe = nil, nil, nil
	a.mu.Unlock()
	if stop != nil {
		stop()
		<-done
		a.saveOffset()
	}
	if unsubscribe != nil {
		unsubscribe()
	}
	a.forgetChats()
}

// forgetChats makes every chat read its delivery position from the store
// again when it is next used (another instance may have sent meanwhile).
func (a *Adapter) forgetChats() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range a.chats {
		c.outMu.Lock()
		c.conv, c.pending = "", map[uint64]bot.Message{}
		c.outMu.Unlock()
	}
}

func (a *Adapter) mode() string {
	if a.webhookURL != "" {
		return "webhook"
	}
	return "polling"
}

// getMe checks the token. A refused token ends start-up at once; network
// errors and 5xx are retried until ctx ends.
func (a *Adapter) getMe(ctx context.Context) (*models.User, error) {
	wait := 200 * time.Millisecond
	for {
		me, err := a.getMeOnce(ctx)
		if err == nil || isTokenRefused(err) {
			return me, err
		}
		a.log.Warn("getMe failed, retrying", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("telegram: cannot reach the Bot API at %s: %w", a.apiURL, err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// tokenRefused is an answer to getMe that trying again will not change:
// the token is refused, or the request itself.
type tokenRefused struct{ err error }

func (e tokenRefused) Error() string { return e.err.Error() }
func (e tokenRefused) Unwrap() error { return e.err }

func isTokenRefused(err error) bool {
	var r tokenRefused
	return errors.As(err, &r)
}

// getMeOnce calls getMe once; a refused token is a tokenRefused.
func (a *Adapter) getMeOnce(ctx context.Context) (*models.User, error) {
	callCtx, cancel := context.WithTimeout(ctx, sendTimeout)
	me, err := a.tg.GetMe(callCtx)
	cancel()
	switch {
	case err == nil:
		return me, nil
	case errors.Is(err, tgbot.ErrorUnauthorized):
		return nil, tokenRefused{errors.New("telegram: the bot token was refused (401 Unauthorized); check --telegram-token")}
	case errors.Is(err, tgbot.ErrorNotFound):
		return nil, tokenRefused{fmt.Errorf("telegram: the bot token was refused (404 Not Found); check --telegram-token and --telegram-api (%s)", a.apiURL)}
	case errors.Is(err, tgbot.ErrorBadRequest), errors.Is(err, tgbot.ErrorForbidden):
		return nil, tokenRefused{fmt.Errorf("telegram: getMe: %w", err)}
	}
	return nil, err
}

// commandsFallback is the language of the command list for clients set to
// a language without a message file.
const commandsFallback = dialog.EN

// setCommands registers the commands in every language with a message
// file, for clients set to it; commandsFallback's list is every other
// client's too.
func (a *Adapter) setCommands() {
	for _, lang := range locales.Langs {
		code := "" // Telegram's language_code: ISO 639-1, "" for every client without a list
		if lang != commandsFallback {
			base, _ := language.Make(string(lang)).Base()
			code = base.String()
		}
		var cmds []models.BotCommand
		for _, c := range []string{"start", "help", "cancel", "agent", "lang"} {
			cmds = append(cmds, models.BotCommand{Command: c, Description: a.text(lang, "telegram_cmd_"+c, nil)})
		}
		err := a.call(nil, func(ctx context.Context) error {
			_, err := a.tg.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: cmds, LanguageCode: code})
			return err
		})
		if err != nil && !errors.Is(err, errStopped) {
			a.log.Error("setMyCommands", "lang", lang, "err", err)
		}
	}
}

// background runs fn until it returns; Shutdown waits for it.
func (a *Adapter) background(fn func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped {
		return
	}
	a.senders.Add(1)
	go func() {
		defer a.senders.Done()
		fn()
	}()
}

// WebhookPath is the path of the webhook URL, where WebhookHandler must be
// mounted; empty in polling mode.
func (a *Adapter) WebhookPath() string { return a.webhookPath }

// WebhookHandler receives updates that Telegram posts in webhook mode. A
// request without the right X-Telegram-Bot-Api-Secret-Token gets 401 and is
// not looked at. It answers once the update is handled (or after a few
// seconds, the update staying queued), so Telegram redelivers what a crash
// lost; a redelivered update is handled once.
func (a *Adapter) WebhookHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.secret == "" {
			http.NotFound(w, r)
			return
		}
		got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		if subtle.ConstantTimeCompare([]byte(got), []byte(a.secret)) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpdateBytes))
		if err != nil {
			http.Error(w, "unreadable update", http.StatusBadRequest)
			return
		}
		var u models.Update
		if err := json.Unmarshal(body, &u); err != nil || u.ID == 0 {
			http.Error(w, "not an update", http.StatusBadRequest)
			return
		}
		done := make(chan struct{})
		if !a.dispatch(r.Context(), &u, done) {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		t := time.NewTimer(webhookWait)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusOK)
	})
}

// Shutdown stops receiving updates, lets the updates already received be
// handled (until ctx ends), then stops sending: messages not yet delivered
// are delivered after the next Start. Call it before closing the runtime.
func (a *Adapter) Shutdown(ctx context.Context) error {
	a.mu.Lock()
	if a.closing {
		a.mu.Unlock()
		return nil
	}
	a.closing = true
	stop, pollDone := a.pollStop, a.pollDone
	a.mu.Unlock()
	if stop != nil {
		stop()
		<-pollDone
	}

	var err error
	drained := make(chan struct{})
	go func() {
		a.inbound.Wait()
		close(drained)
	}()
	select {
	case <-drained:
	case <-ctx.Done():
		err = ctx.Err()
	}
	a.mu.Lock()
	a.stopped = true
	a.mu.Unlock()
	// Senders stop before their next call; calls in flight may finish (until
	// ctx ends), so what Telegram accepted is recorded as delivered.
	a.stopSenders()
	sent := make(chan struct{})
	go func() {
		a.senders.Wait()
		close(sent)
	}()
	select {
	case <-sent:
	case <-ctx.Done():
		err = ctx.Err()
	}
	a.cancel()
	<-drained // turns in flight end quickly once cancelled; the runtime must outlive them
	<-sent
	a.mu.Lock()
	unsubscribe := a.unsubscribe
	a.mu.Unlock()
	if unsubscribe != nil {
		unsubscribe()
	}
	a.saveOffset()
	a.transport.CloseIdleConnections()
	return err
}

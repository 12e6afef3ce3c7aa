package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/kefu-dev/kefu/bot"
)

// FirstTry bounds Connect's wait for the Bot API before it goes on in the
// background: long enough for a healthy API to answer getMe, short enough
// that kefu's start-up is not held by an outage.
const FirstTry = 5 * time.Second

// Backoff of Connect's background tries.
const (
	reconnectFirst = time.Second
	reconnectMax   = time.Minute
)

// Connect starts the adapter without waiting for an outage to end: it
// tries the Bot API once (getMe, then setting or deleting the webhook,
// for at most FirstTry) and, when the API cannot be reached or fails,
// goes on trying in the background with exponential backoff (1 s doubling
// to 1 min, with jitter) until it is connected or Shutdown. It returns an
// error only when the first answer refuses the token (401 or 404) or the
// request. Health is degraded until updates flow.
func (a *Adapter) Connect(ctx context.Context) error {
	if err := a.begin(); err != nil {
		return err
	}
	first, cancel := context.WithTimeout(ctx, a.firstTry)
	err := a.tryConnect(first)
	cancel()
	switch {
	case err == nil:
		return nil
	case isTokenRefused(err):
		return err
	}
	a.api.failed(err)
	a.log.Warn("telegram: the Bot API is not reachable; kefu serves without Telegram and keeps trying", "err", err)
	a.background(a.reconnect)
	return nil
}

func (a *Adapter) tryConnect(ctx context.Context) error {
	me, err := a.getMeOnce(ctx)
	if err != nil {
		return err
	}
	return a.connect(ctx, me)
}

// reconnect tries to connect with backoff until it does or Shutdown.
func (a *Adapter) reconnect() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-a.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.Multiplier, b.MaxInterval = reconnectFirst, 2, reconnectMax
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		err := a.tryConnect(ctx)
		if err != nil && ctx.Err() == nil {
			a.api.failed(err)
			if isTokenRefused(err) {
				a.log.Error("telegram: Bot API refuses the bot", "err", err)
			}
		}
		return struct{}{}, err
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(0), backoff.WithNotify(func(err error, next time.Duration) {
		a.log.Warn("telegram: not connected, retrying", "err", err, "in", next.Round(time.Millisecond))
	}))
	if err == nil {
		a.log.Info("telegram: connected to the Bot API")
	}
}

// Health is degraded until Start or Connect has connected, and while the
// Bot API's latest answers say it is failing: polling (getUpdates), or
// other calls (no answer, 5xx, a refused token). It is ok again after a
// call of the same kind works.
func (a *Adapter) Health() bot.PartHealth { return a.api.health() }

// apiHealth is what the Bot API's answers say about it.
type apiHealth struct {
	mu        sync.Mutex
	up        bool   // connected once
	pollFault string // why the latest getUpdates failed; "" when it worked
	callFault string // why the latest other call failed
}

func (h *apiHealth) health() bot.PartHealth {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case !h.up && h.callFault != "":
		return bot.Degraded("not connected: " + h.callFault)
	case !h.up:
		return bot.Degraded("connecting to the Bot API")
	case h.pollFault != "":
		return bot.Degraded("polling: " + h.pollFault)
	case h.callFault != "":
		return bot.Degraded(h.callFault)
	}
	return bot.OK
}

func (h *apiHealth) connected() {
	h.mu.Lock()
	h.up, h.callFault = true, ""
	h.mu.Unlock()
}

// failed records why connecting failed, when no call said so already.
func (h *apiHealth) failed(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if isTokenRefused(err) {
		h.callFault = "the Bot API refuses the bot token"
	} else if h.callFault == "" {
		h.callFault = "the Bot API does not answer"
	}
}

// observe reads one Bot API call's outcome: method, and the HTTP status or
// the error of a call without an answer.
func (h *apiHealth) observe(method string, status int, err error) {
	var fault string
	switch {
	case errors.Is(err, context.Canceled):
		return // kefu stopped the call
	case err != nil:
		fault = "the Bot API does not answer: " + err.Error()
	case status == http.StatusUnauthorized || status == http.StatusNotFound && method == "getMe":
		fault = "the Bot API refuses the bot token"
	case status >= 500 || method == "getUpdates" && status != http.StatusOK && status != http.StatusTooManyRequests:
		fault = fmt.Sprintf("the Bot API answers HTTP %d", status)
	case status/100 != 2:
		return // about this call (a blocked member, a rate limit), not the API
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if method == "getUpdates" {
		h.pollFault = fault
	} else {
		h.callFault = fault
	}
}

// observed tells fn the outcome of every Bot API call. The request URL
// holds the token: fn gets the method name only.
type observed struct {
	next http.RoundTripper
	fn   func(method string, status int, err error)
}

func (o observed) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := o.next.RoundTrip(req)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	o.fn(path.Base(req.URL.Path), status, err)
	return resp, err
}

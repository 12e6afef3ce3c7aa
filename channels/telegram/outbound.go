package telegram

import (
	"context"
	"errors"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/time/rate"

	"github.com/kefu-dev/kefu/bot"
)

// chat is one Telegram chat: its inbox of updates and its outbox of
// messages. One worker at a time drains each.
type chat struct {
	id    int64
	limit *rate.Limiter // paces sends to this chat

	inMu    sync.Mutex
	inbox   []*inbound
	working bool

	outMu     sync.Mutex
	conv      string                 // "" until the first private message (never, for groups)
	delivered uint64                 // the conversation's last message sent (or skipped)…
	known     uint64                 // …its newest message known to exist…
	pending   map[uint64]bot.Message // …and those published since, not yet sent
	extras    []job                  // channel-only sends and edits, first in line
	sending   bool
	blocked   bool   // the member blocked the bot: wait for their next message
	heard     uint64 // counts the member's messages, so a send refused meanwhile is retried
	contactKB bool   // the share-my-phone keyboard is showing
}

// job is something to send that is not a conversation message: the
// channel's own words (an apology, the group link) or a keyboard edit.
type job struct {
	text    string
	replyTo int // reply to this message (groups)
	edit    int // replace the keyboard of this message with markup
	markup  models.ReplyMarkup
}

func (a *Adapter) chat(id int64) *chat {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.chatLocked(id)
}

func (a *Adapter) chatLocked(id int64) *chat {
	c, ok := a.chats[id]
	if !ok {
		c = &chat{id: id, limit: rate.NewLimiter(a.chatRate, a.chatBurst), pending: map[uint64]bot.Message{}}
		a.chats[id] = c
	}
	return c
}

func (c *chat) conversation() string {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	return c.conv
}

// published takes a message the runtime added to the conversation. It runs
// inside the runtime's turn, so it only queues.
func (c *chat) published(a *Adapter, m bot.Message) {
	seq, err := strconv.ParseUint(m.ID, 10, 64)
	if err != nil {
		a.log.Error("message without a sequence number", "conv", c.conv, "id", m.ID)
		return
	}
	c.outMu.Lock()
	if seq > c.delivered {
		c.pending[seq] = m
		c.known = max(c.known, seq)
	}
	c.outMu.Unlock()
	c.kick(a)
}

func (c *chat) enqueue(a *Adapter, j job) {
	c.outMu.Lock()
	c.extras = append(c.extras, j)
	c.outMu.Unlock()
	c.kick(a)
}

// unblock resumes delivery to a member who had blocked the bot and writes
// again.
func (c *chat) unblock(a *Adapter) {
	c.outMu.Lock()
	was := c.blocked
	c.blocked = false
	c.heard++
	c.outMu.Unlock()
	if was {
		c.kick(a)
	}
}

// kick starts the chat's sender when there is something to send.
func (c *chat) kick(a *Adapter) {
	c.outMu.Lock()
	if c.sending || c.blocked || (len(c.extras) == 0 && c.known <= c.delivered) {
		c.outMu.Unlock()
		return
	}
	a.mu.Lock()
	if a.stopped {
		a.mu.Unlock()
		c.outMu.Unlock()
		return
	}
	a.senders.Add(1)
	a.mu.Unlock()
	c.sending = true
	c.outMu.Unlock()
	go func() {
		defer a.senders.Done()
		defer func() {
			if p := recover(); p != nil {
				a.log.Error("panic sending to a chat", "chat", c.id, "panic", p, "stack", string(debug.Stack()))
				a.rt.Metrics().Errors.WithLabelValues("telegram_panic").Inc()
				c.outMu.Lock()
				c.sending = false
				c.outMu.Unlock()
			}
		}()
		a.runOutbox(c)
	}()
}

// next picks the chat's next piece of work: a job, the next conversation
// message, or (gap) a sign that messages must be read from the transcript.
func (c *chat) next() (j *job, m *bot.Message, gap bool) {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	for {
		if len(c.extras) > 0 {
			j := c.extras[0]
			return &j, nil, false
		}
		seq := c.delivered + 1
		if msg, ok := c.pending[seq]; ok {
			if msg.From == bot.FromMember || msg.Text == "" {
				delete(c.pending, seq) // the member's own words stay with them
				c.delivered = seq
				continue
			}
			return nil, &msg, false
		}
		if c.known >= seq {
			return nil, nil, true
		}
		c.sending = false
		return nil, nil, false
	}
}

// runOutbox sends the chat's work in order until none is left, the member
// has blocked the bot, or the adapter stops.
func (a *Adapter) runOutbox(c *chat) {
	for {
		c.outMu.Lock()
		heard := c.heard
		c.outMu.Unlock()
		j, m, gap := c.next()
		var err error
		switch {
		case gap:
			err = a.fill(c)
		case j != nil:
			err = a.sendJob(c, j)
			if err == nil || !errors.Is(err, errStopped) && !errors.Is(err, errBlocked) {
				switch {
				case err != nil && j.edit != 0:
					// "message is not modified": a second press of a used
					// keyboard, already marked.
					a.log.Debug("keyboard not edited", "chat", c.id, "err", err)
				case err != nil:
					a.log.Error("send to chat", "chat", c.id, "err", err)
				}
				c.outMu.Lock()
				c.extras = c.extras[1:]
				c.outMu.Unlock()
				err = nil
			}
		case m != nil:
			err = a.sendMessage(c, *m)
		default:
			return
		}
		if err != nil {
			c.outMu.Lock()
			if errors.Is(err, errBlocked) && c.heard != heard {
				c.outMu.Unlock()
				continue // they wrote since: they are back
			}
			c.sending = false
			if errors.Is(err, errBlocked) {
				c.blocked = true
			}
			c.outMu.Unlock()
			if !errors.Is(err, errStopped) && !errors.Is(err, errBlocked) {
				a.log.Error("outbox stopped", "chat", c.id, "err", err)
			}
			return
		}
	}
}

// fill reads messages the subscription did not bring (those added before
// it, or while kefu was down) from the transcript.
func (a *Adapter) fill(c *chat) error {
	conv := c.conversation()
	hist, err := a.rt.History(a.ctx, conv)
	if err != nil {
		if a.ctx.Err() != nil {
			return errStopped
		}
		return err
	}
	c.outMu.Lock()
	defer c.outMu.Unlock()
	var newest uint64
	for _, m := range hist {
		seq, err := strconv.ParseUint(m.ID, 10, 64)
		if err != nil {
			continue
		}
		newest = max(newest, seq)
		if _, ok := c.pending[seq]; !ok && seq > c.delivered {
			c.pending[seq] = m
		}
	}
	if _, ok := c.pending[c.delivered+1]; !ok && c.known > c.delivered {
		// Not in the transcript either: nothing more to wait for.
		a.log.Error("conversation messages missing from the transcript", "conv", conv, "after", c.delivered, "known", c.known)
		c.known = max(c.delivered, newest)
	}
	return nil
}

// sendMessage delivers one conversation message (in parts, if long) and
// records it as delivered. A message Telegram refuses outright (400) is
// logged and skipped; anything else is retried until it goes through or
// the adapter stops.
func (a *Adapter) sendMessage(c *chat, m bot.Message) error {
	seq, _ := strconv.ParseUint(m.ID, 10, 64)
	text := m.Text
	if m.From == bot.FromAgent {
		text = "👤 " + text
	}
	parts := splitText(text)
	var markup models.ReplyMarkup
	contact := false
	switch {
	case len(m.Buttons) > 0:
		if kb := a.keyboard(m.Buttons); kb != nil {
			markup = kb
		}
	case m.Expect == bot.ExpectAccount:
		markup, contact = a.contactKeyboard(a.langOf(c.conversation(), "")), true
	case c.contactKB:
		markup = &models.ReplyKeyboardRemove{RemoveKeyboard: true}
	}
	for i, part := range parts {
		p := &tgbot.SendMessageParams{ChatID: c.id, Text: part}
		if m.From == bot.FromSystem {
			// System notices (demo codes, receipts) read apart from the bot.
			p.Entities = []models.MessageEntity{{Type: models.MessageEntityTypeItalic, Length: utf16Len(part)}}
		}
		if i == len(parts)-1 {
			p.ReplyMarkup = markup
		}
		err := a.call(c, func(ctx context.Context) error {
			_, err := a.tg.SendMessage(ctx, p)
			return err
		})
		var refused *refusedError
		if errors.As(err, &refused) && p.ReplyMarkup != nil {
			a.log.Error("message refused with its keyboard; sending it without", "conv", c.conversation(), "msg", m.ID, "err", err)
			p.ReplyMarkup = nil
			err = a.call(c, func(ctx context.Context) error {
				_, err := a.tg.SendMessage(ctx, p)
				return err
			})
		}
		if errors.As(err, &refused) {
			a.log.Error("message refused by Telegram: skipped", "conv", c.conversation(), "msg", m.ID, "err", err)
			a.rt.Metrics().Errors.WithLabelValues("telegram_refused").Inc()
			break
		}
		if err != nil {
			return err
		}
	}
	switch markup.(type) {
	case *models.ReplyKeyboardMarkup, *models.ReplyKeyboardRemove:
		c.contactKB = contact
	}
	c.outMu.Lock()
	delete(c.pending, seq)
	if seq > c.delivered {
		c.delivered = seq
	}
	conv := c.conv
	c.outMu.Unlock()
	if err := a.rt.ChannelState().SetCursor(context.Background(), deliveredKey(conv), int64(seq)); err != nil {
		// Sent, but a restart would send it again.
		a.log.Error("save delivery cursor", "conv", conv, "err", err)
	}
	return nil
}

// sendJob sends a channel-only message or edits a keyboard.
func (a *Adapter) sendJob(c *chat, j *job) error {
	if j.edit != 0 {
		return a.call(c, func(ctx context.Context) error {
			_, err := a.tg.EditMessageReplyMarkup(ctx, &tgbot.EditMessageReplyMarkupParams{ChatID: c.id, MessageID: j.edit, ReplyMarkup: j.markup})
			return err
		})
	}
	p := &tgbot.SendMessageParams{ChatID: c.id, Text: j.text}
	if j.replyTo != 0 {
		p.ReplyParameters = &models.ReplyParameters{MessageID: j.replyTo, AllowSendingWithoutReply: true}
	}
	return a.call(c, func(ctx context.Context) error {
		_, err := a.tg.SendMessage(ctx, p)
		return err
	})
}

var errBlocked = errors.New("telegram: the member has blocked the bot")

// refusedError is a request Telegram refuses as such (400): sending it
// again cannot help.
type refusedError struct{ err error }

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// call makes one Bot API call for chat c (nil: not a chat message) within
// the outbound limits, retrying until it succeeds: after retry_after on a
// 429, with backoff on network errors and 5xx (200 ms doubling to
// maxBackoff). It gives up with errStopped when the adapter stops,
// errBlocked on 403, a *refusedError on 400.
func (a *Adapter) call(c *chat, fn func(ctx context.Context) error) error {
	pause := &backoff.ExponentialBackOff{InitialInterval: firstBackoff, Multiplier: 2, MaxInterval: maxBackoff}
	_, err := backoff.Retry(a.stopping, func() (struct{}, error) {
		if a.stopping.Err() != nil {
			return struct{}{}, backoff.Permanent(errStopped)
		}
		if c != nil {
			if err := a.pace(c); err != nil {
				return struct{}{}, backoff.Permanent(err)
			}
		}
		ctx, cancel := context.WithTimeout(a.ctx, sendTimeout)
		err := fn(ctx)
		cancel()
		if err == nil {
			return struct{}{}, nil
		}
		if a.ctx.Err() != nil {
			return struct{}{}, backoff.Permanent(errStopped)
		}
		var tooMany *tgbot.TooManyRequestsError
		var migrate *tgbot.MigrateError
		switch {
		case errors.As(err, &tooMany):
			wait := time.Duration(max(1, tooMany.RetryAfter)) * time.Second
			a.rt.Metrics().Errors.WithLabelValues("telegram_429").Inc()
			a.log.Warn("Telegram asks to slow down", "chat", chatID(c), "retry_after", wait)
			return struct{}{}, &backoff.RetryAfterError{Duration: wait}
		case errors.Is(err, tgbot.ErrorForbidden):
			return struct{}{}, backoff.Permanent(errBlocked)
		case errors.Is(err, tgbot.ErrorBadRequest), errors.As(err, &migrate):
			return struct{}{}, backoff.Permanent(&refusedError{err})
		}
		return struct{}{}, err
	}, backoff.WithBackOff(pause), backoff.WithMaxElapsedTime(0), backoff.WithNotify(func(err error, next time.Duration) {
		if slowDown := (*backoff.RetryAfterError)(nil); !errors.As(err, &slowDown) {
			a.log.Warn("Bot API call failed, retrying", "chat", chatID(c), "err", err, "in", next)
		}
	}))
	if err != nil && a.stopping.Err() != nil {
		return errStopped
	}
	return err
}

func chatID(c *chat) int64 {
	if c == nil {
		return 0
	}
	return c.id
}

// pace waits until a message may go to chat c: its chat's limiter lets it
// go, then the limiter over all chats. Senders wait for the latter in turn,
// each reserving its token when its turn comes: a sender woken late then
// delays the next one, where reservations made in advance would let the
// two go together, over the rate.
func (a *Adapter) pace(c *chat) error {
	chatAt, err := a.await(c.limit)
	if err != nil {
		return err
	}
	globalAt := chatAt
	if a.globalLimit.Limit() != rate.Inf {
		select {
		case a.globalTurn <- struct{}{}:
		case <-a.quit:
			return errStopped
		}
		globalAt, err = a.await(a.globalLimit)
		<-a.globalTurn
		if err != nil {
			return err
		}
	}
	if a.paced != nil {
		a.paced(c.id, chatAt, globalAt)
	}
	return nil
}

// await takes a token of l and waits until the time l gives it for, which
// it returns (what l.Wait does, telling when); errStopped when the adapter
// stops first. One caller at a time per limiter: reservations made out of
// time order let rate.Limiter count time twice and exceed its rate.
func (a *Adapter) await(l *rate.Limiter) (time.Time, error) {
	now := time.Now()
	r := l.ReserveN(now, 1)
	d := r.DelayFrom(now)
	if d == 0 {
		return now, nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return now.Add(d), nil
	case <-a.quit:
		return time.Time{}, errStopped
	}
}

package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/locales"
)

// inbound is an update waiting for its chat's worker.
type inbound struct {
	u      *models.Update
	done   chan struct{} // closed once handled; nil when nobody waits
	polled bool          // counts toward the polling offset
}

// chatOf is the chat an update belongs to; 0 for updates kefu does not
// handle.
func chatOf(u *models.Update) int64 {
	switch {
	case u.Message != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil:
		if m := u.CallbackQuery.Message.Message; m != nil {
			return m.Chat.ID
		}
		if m := u.CallbackQuery.Message.InaccessibleMessage; m != nil && m.Chat.ID != 0 {
			return m.Chat.ID
		}
		return u.CallbackQuery.From.ID
	}
	return 0
}

// dispatch queues an update for its chat's worker; false when the adapter
// is shutting down (the update stays unhandled, so it is fetched again
// after a restart). It blocks while maxInFlight updates wait, which holds
// the poller back. done, if not nil, is closed once the update is handled.
func (a *Adapter) dispatch(ctx context.Context, u *models.Update, done chan struct{}) bool {
	polled := done == nil
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		return false
	case <-a.quit:
		return false
	}
	a.mu.Lock()
	if a.closing {
		a.mu.Unlock()
		<-a.slots
		return false
	}
	if polled {
		a.offMu.Lock()
		a.offOrder = append(a.offOrder, u.ID)
		a.offMu.Unlock()
	}
	in := &inbound{u: u, done: done, polled: polled}
	id := chatOf(u)
	if id == 0 {
		a.mu.Unlock()
		a.finish(in) // nothing kefu handles
		return true
	}
	c := a.chatLocked(id)
	c.inMu.Lock()
	if len(c.inbox) >= maxChatBacklog {
		c.inMu.Unlock()
		a.mu.Unlock()
		a.log.Warn("chat backlog full: update dropped", "chat", id, "update", u.ID)
		a.rt.Metrics().Errors.WithLabelValues("telegram_backlog").Inc()
		a.finish(in)
		return true
	}
	c.inbox = append(c.inbox, in)
	start := !c.working
	c.working = true
	c.inMu.Unlock()
	if start {
		a.inbound.Add(1)
	}
	a.mu.Unlock()
	if start {
		go a.runInbox(c)
	}
	return true
}

// runInbox handles a chat's updates in order until its inbox is empty.
func (a *Adapter) runInbox(c *chat) {
	defer a.inbound.Done()
	for {
		c.inMu.Lock()
		if len(c.inbox) == 0 {
			c.working = false
			c.inMu.Unlock()
			return
		}
		in := c.inbox[0]
		c.inbox[0] = nil
		c.inbox = c.inbox[1:]
		c.inMu.Unlock()
		if a.ctx.Err() != nil {
			<-a.slots // dropped unhandled: fetched again after a restart
			if in.done != nil {
				close(in.done)
			}
			continue
		}
		a.handle(c, in.u)
		a.finish(in)
	}
}

// finish releases an update's slot and records it as handled.
func (a *Adapter) finish(in *inbound) {
	<-a.slots
	if in.polled {
		a.handled(in.u.ID)
	}
	if in.done != nil {
		close(in.done)
	}
	if a.afterHandle != nil {
		a.afterHandle(in.u)
	}
}

// handled advances the polling offset past every update whose
// predecessors are all handled, so a restart fetches from the first one
// that is not.
func (a *Adapter) handled(id int64) {
	a.offMu.Lock()
	a.offDone[id] = true
	advanced := false
	for len(a.offOrder) > 0 && a.offDone[a.offOrder[0]] {
		delete(a.offDone, a.offOrder[0])
		a.offLast = max(a.offLast, a.offOrder[0])
		a.offOrder = a.offOrder[1:]
		advanced = true
	}
	a.offMu.Unlock()
	if advanced {
		select {
		case a.offDirty <- struct{}{}:
		default: // a save is due already
		}
	}
}

// saveOffsets stores the polling offset whenever it advanced, coalescing:
// one write covers every update handled meanwhile.
func (a *Adapter) saveOffsets() {
	for {
		select {
		case <-a.offDirty:
			a.saveOffset()
		case <-a.quit:
			return
		}
	}
}

// The adapter's bookkeeping (offsets, handled updates, delivery cursors) is
// written with a background context: a stop must still record where it got.
func (a *Adapter) saveOffset() {
	a.offSaveMu.Lock()
	defer a.offSaveMu.Unlock()
	a.offMu.Lock()
	last := a.offLast
	a.offMu.Unlock()
	if last <= a.offSaved {
		return
	}
	if err := a.rt.ChannelState().SetCursor(context.Background(), a.offsetKey(), last); err != nil {
		a.log.Error("save polling offset", "err", err)
		return
	}
	a.offSaved = last
}

// handle handles one update: once, and without letting a panic out.
func (a *Adapter) handle(c *chat, u *models.Update) {
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("panic handling an update", "update", u.ID, "chat", c.id, "panic", p, "stack", string(debug.Stack()))
			a.rt.Metrics().Errors.WithLabelValues("telegram_panic").Inc()
			a.apologize(c, u)
		}
	}()
	first, err := a.rt.ChannelState().FirstTime(context.Background(), ChannelName, a.botKey+"/"+strconv.FormatInt(u.ID, 10), dedupTTL)
	if err != nil {
		a.log.Error("record update", "update", u.ID, "err", err)
		a.apologize(c, u)
		return
	}
	if !first {
		a.log.Debug("repeated update ignored", "update", u.ID)
		if q := u.CallbackQuery; q != nil {
			a.answer(q.ID)
		}
		return
	}
	if a.beforeHandle != nil {
		a.beforeHandle(u)
	}
	switch {
	case u.Message != nil:
		err = a.onMessage(c, u.Message)
	case u.CallbackQuery != nil:
		err = a.onCallback(c, u.CallbackQuery)
	}
	var refused *bot.Refusal
	var limited *bot.RateLimitError
	switch {
	case errors.As(err, &refused): // nothing was stored: the member is told to try again
		a.log.Warn("update refused", "update", u.ID, "chat", c.id, "err", err)
		c.enqueue(a, job{text: refused.Text})
		return
	case errors.As(err, &limited): // dropped; told once per flood, not once per message
		if limited.First {
			c.enqueue(a, job{text: a.rt.Catalog().MustRender(a.langFor(c, u), "slow_down", nil)})
		}
		return
	case errors.Is(err, bot.ErrTooLong):
		return // the bot's reply in the conversation asked for a shorter one
	}
	if err != nil {
		a.log.Error("handle update", "update", u.ID, "chat", c.id, "err", err)
		a.rt.Metrics().Errors.WithLabelValues("telegram").Inc()
		a.apologize(c, u)
	}
}

// apologize tells the member something went wrong on kefu's side, in
// their conversation's language.
func (a *Adapter) apologize(c *chat, u *models.Update) {
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("panic apologizing", "chat", c.id, "panic", p)
		}
	}()
	c.enqueue(a, job{text: a.rt.Catalog().MustRender(a.langFor(c, u), "unavailable", nil)})
}

// langFor is the language to answer an update in outside a turn: the
// conversation's, else the sender's client's, else the default.
func (a *Adapter) langFor(c *chat, u *models.Update) dialog.Lang {
	lang := dialog.ZH
	if from := sender(u); from != nil {
		if l, ok := dialog.ParseLang(from.LanguageCode); ok {
			lang = l
		}
	}
	if conv := c.conversation(); conv != "" {
		if cv, err := a.rt.Conversation(a.ctx, conv); err == nil && cv.State.Lang != "" {
			lang = cv.Lang()
		}
	}
	return lang
}

func sender(u *models.Update) *models.User {
	switch {
	case u.Message != nil:
		return u.Message.From
	case u.CallbackQuery != nil:
		return &u.CallbackQuery.From
	}
	return nil
}

func hintOf(from *models.User) dialog.Lang {
	if from == nil {
		return ""
	}
	l, _ := dialog.ParseLang(from.LanguageCode)
	return l
}

// onMessage handles a member's message.
func (a *Adapter) onMessage(c *chat, m *models.Message) error {
	if m.Chat.Type != models.ChatTypePrivate {
		return a.onGroupMessage(c, m)
	}
	if m.From == nil || m.From.IsBot {
		return nil
	}
	conv, err := a.conversationOf(c)
	if err != nil {
		return err
	}
	c.unblock(a)
	hint := hintOf(m.From)
	ctx := bot.WithSource(a.ctx, source(m.From))
	if m.Contact != nil {
		if m.Contact.UserID != m.From.ID {
			c.enqueue(a, job{text: a.text(a.langOf(conv, hint), "telegram_contact_not_own", nil)})
			return nil
		}
		return a.rt.Handle(ctx, conv, dialog.InputText, digits(m.Contact.PhoneNumber), hint)
	}
	text := m.Text
	if text == "" {
		text = m.Caption
	}
	cmd, arg, ok := a.command(text)
	if !ok {
		return a.rt.Handle(ctx, conv, dialog.InputText, text, hint)
	}
	switch cmd {
	case "start":
		return a.rt.Start(ctx, conv, hint, arg)
	case "help":
		return a.rt.Handle(ctx, conv, dialog.InputButton, dialog.IntentValue(dialog.IntentHelp), hint)
	case "cancel":
		return a.rt.Handle(ctx, conv, dialog.InputButton, dialog.ValueAbort, hint)
	case "agent":
		return a.rt.Handle(ctx, conv, dialog.InputButton, dialog.IntentValue(dialog.IntentHumanAgent), hint)
	case "lang":
		to, ok := dialog.ParseLang(arg)
		if !ok { // the next language, in the order of the files
			i := slices.Index(locales.Langs, a.langOf(conv, hint))
			to = locales.Langs[(i+1)%len(locales.Langs)]
		}
		return a.rt.Handle(ctx, conv, dialog.InputButton, dialog.LangValue(to), hint)
	}
	return a.rt.Handle(ctx, conv, dialog.InputText, text, hint)
}

// langOf is the conversation's language, or the hint before it has one.
func (a *Adapter) langOf(conv string, hint dialog.Lang) dialog.Lang {
	if c, err := a.rt.Conversation(a.ctx, conv); err == nil && c.State.Lang != "" {
		return c.Lang()
	}
	if hint != "" {
		return hint
	}
	return dialog.ZH
}

// command reads "/name@bot argument"; ok is false for text that is not a
// command, or a command addressed to another bot.
func (a *Adapter) command(text string) (name, arg string, ok bool) {
	if !strings.HasPrefix(text, "/") {
		return "", "", false
	}
	first, rest, _ := strings.Cut(text[1:], " ")
	name, to, addressed := strings.Cut(first, "@")
	if addressed && !strings.EqualFold(to, a.username()) {
		return "", "", false
	}
	name = strings.ToLower(name)
	switch name {
	case "start", "help", "cancel", "agent", "lang":
		return name, strings.TrimSpace(rest), true
	}
	return "", "", false
}

func (a *Adapter) username() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.me == nil {
		return ""
	}
	return a.me.Username
}

// onCallback handles a pressed inline button: the query is answered, the
// keyboard marked as used, and the button's value handled.
func (a *Adapter) onCallback(c *chat, q *models.CallbackQuery) error {
	a.answer(q.ID)
	msg := q.Message.Message
	if q.Data == "" || q.Data == doneData || (msg != nil && msg.Chat.Type != models.ChatTypePrivate) {
		return nil
	}
	conv, err := a.conversationOf(c)
	if err != nil {
		return err
	}
	c.unblock(a)
	if msg != nil && msg.ReplyMarkup != nil {
		c.enqueue(a, job{edit: msg.ID, markup: usedKeyboard(msg, q.Data)})
	}
	return a.rt.Handle(bot.WithSource(a.ctx, source(&q.From)), conv, dialog.InputButton, q.Data, hintOf(&q.From))
}

// source is a Telegram user as the verification limits count sources.
func source(from *models.User) string { return "telegram:" + strconv.FormatInt(from.ID, 10) }

// answer stops the spinner on the member's button; best effort.
func (a *Adapter) answer(id string) {
	ctx, cancel := context.WithTimeout(a.ctx, sendTimeout)
	defer cancel()
	if _, err := a.tg.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: id}); err != nil {
		a.log.Debug("answerCallbackQuery", "err", err)
	}
}

// onGroupMessage answers a message addressed to the bot in a group with a
// link to the private chat: no conversation, no questions, nothing
// personal in a group.
func (a *Adapter) onGroupMessage(c *chat, m *models.Message) error {
	if m.Chat.Type != models.ChatTypeGroup && m.Chat.Type != models.ChatTypeSupergroup {
		return nil // channels: not for members
	}
	if m.From == nil || m.From.IsBot || !a.addressed(m) {
		return nil
	}
	if !a.groupLimit.Allow(strconv.FormatInt(m.Chat.ID, 10)) {
		return nil
	}
	c.unblock(a) // added to the group again, say
	text := m.Text
	payload := ""
	if name, arg, ok := a.command(text); ok && name == "start" {
		payload = arg
	} else {
		switch dialog.Classify(text) {
		case dialog.IntentCancelMembership:
			payload = "cancel"
		case dialog.IntentTurnOffAutoRenew:
			payload = "autorenew"
		}
	}
	link := "https://t.me/" + url.PathEscape(a.username())
	if payload = startPayload(payload); payload != "" {
		link += "?start=" + payload
	}
	lang := hintOf(m.From)
	if lang == "" {
		lang = dialog.ZH
	}
	c.enqueue(a, job{text: a.text(lang, "telegram_private_only", map[string]any{"Link": link}), replyTo: m.ID})
	return nil
}

// addressed tells whether a group message is for the bot: a command, a
// mention, or a reply to one of its messages.
func (a *Adapter) addressed(m *models.Message) bool {
	if strings.HasPrefix(m.Text, "/") {
		_, to, addressed := strings.Cut(strings.SplitN(m.Text[1:], " ", 2)[0], "@")
		return !addressed || strings.EqualFold(to, a.username())
	}
	if u := a.username(); u != "" && strings.Contains(strings.ToLower(m.Text), "@"+strings.ToLower(u)) {
		return true
	}
	if r := m.ReplyToMessage; r != nil && r.From != nil {
		a.mu.Lock()
		me := a.me
		a.mu.Unlock()
		return me != nil && r.From.ID == me.ID
	}
	return false
}

// startPayload keeps a deep-link payload within what Telegram allows:
// up to 64 of A-Z, a-z, 0-9, _ and -.
func startPayload(p string) string {
	if len(p) > 64 {
		return ""
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return ""
		}
	}
	return p
}

// conversationOf returns the chat's conversation, resolving it on first
// contact.
func (a *Adapter) conversationOf(c *chat) (string, error) {
	if conv := c.conversation(); conv != "" {
		return conv, nil
	}
	conv, _, err := a.rt.Resolve(a.ctx, ChannelName, strconv.FormatInt(c.id, 10))
	if err != nil {
		return "", fmt.Errorf("resolve chat: %w", err)
	}
	if err := a.attach(c, conv, 0); err != nil {
		return "", err
	}
	return conv, nil
}

// attach ties a chat to its conversation, whose newest message is seq (or
// later), and resumes delivery after the last message delivered.
func (a *Adapter) attach(c *chat, conv string, seq uint64) error {
	if c.conversation() != "" {
		return nil
	}
	cursor, err := a.rt.ChannelState().Cursor(context.Background(), deliveredKey(conv))
	if err != nil {
		return fmt.Errorf("read delivery cursor: %w", err)
	}
	c.outMu.Lock()
	if c.conv == "" {
		c.conv, c.delivered, c.known = conv, uint64(cursor), max(uint64(cursor), seq)
	}
	c.outMu.Unlock()
	c.kick(a)
	return nil
}

// published is the adapter's subscription to every Telegram conversation.
func (a *Adapter) published(conv, user string, m bot.Message) {
	id, err := strconv.ParseInt(user, 10, 64)
	if err != nil {
		a.log.Error("conversation with an unreadable chat id", "conv", conv)
		return
	}
	c := a.chat(id)
	if err := a.attach(c, conv, 0); err != nil {
		a.log.Error("attach chat", "conv", conv, "err", err)
		return
	}
	c.published(a, m)
}

var errStopped = errors.New("telegram: adapter stopped")

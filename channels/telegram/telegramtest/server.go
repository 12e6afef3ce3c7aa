// Package telegramtest is a fake Telegram Bot API server for tests. It
// speaks the real wire format — requests to /bot<token>/<method> as
// multipart/form-data (or urlencoded), answers {"ok":true,"result":…} or
// {"ok":false,"error_code":…,"description":…,"parameters":{…}} — and checks
// what it is sent as strictly as Telegram does where kefu could go wrong:
// message length, inline buttons, callback data, answered callback queries.
//
// It serves queued updates to getUpdates (offset, limit and timeout as
// Telegram reads them: an update is confirmed, and dropped, once a call asks
// for a higher offset), records every call, and fails calls on request
// (Fail): 429 with retry_after, 5xx, 403 for a member who blocked the bot.
package telegramtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

// Token is the fake bot's token; any other is refused with 401.
const Token = "123456789:TEST-token_abcdefghijklmnopqrstuvwx"

// BotID and BotUsername are what getMe answers.
const (
	BotID       = 123456789
	BotUsername = "kefu_test_bot"
)

// Server is a fake Bot API. Its methods are safe for concurrent use.
type Server struct {
	URL string // base URL, without /bot<token>
	srv *httptest.Server

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	queue   []queued
	// unordered: the queue holds a redelivery, or ids that do not
	// increase; until then confirming updates cuts a prefix instead of
	// filtering the whole queue (benchmarks queue hundreds of thousands).
	unordered bool
	nextID    int64
	calls     []Call
	msgs      map[int64][]*Sent // successful sendMessage calls by chat
	queries   map[string]bool   // callback query id → answered
	chatType  map[int64]string
	webhook   string
	secret    string
	fail      func(Call) *Failure
	closed    bool
}

type queued struct {
	id     int64
	raw    json.RawMessage
	forced bool // served once regardless of offset: a redelivery
}

// Call is one request the server received.
type Call struct {
	Method string
	Params map[string]string
	Status int // the HTTP status it was answered with
	At     time.Time
	// Chunked: the body came without a Content-Length, in chunks.
	Chunked bool
}

// OK reports whether the call succeeded.
func (c Call) OK() bool { return c.Status == http.StatusOK }

// Int reads an integer parameter.
func (c Call) Int(name string) int64 {
	n, _ := strconv.ParseInt(c.Params[name], 10, 64)
	return n
}

// Failure is how the server fails a call instead of answering it.
type Failure struct {
	Status      int    // HTTP status and error_code, e.g. 429, 500, 403
	Description string // default: the status text
	RetryAfter  int    // with 429: parameters.retry_after, in seconds
	Body        string // when set, sent as it is (an HTML error page from a proxy)
}

// Sent is a message the bot sent.
type Sent struct {
	MessageID int
	ChatID    int64
	Text      string
	Italic    bool            // one italic entity covers the whole text
	Buttons   []Button        // inline keyboard, row after row, as shown now
	Offered   []Button        // inline keyboard as sent, before any edit
	Markup    json.RawMessage // the inline keyboard as sent, while it is shown
	Keyboard  json.RawMessage // reply_markup as sent, whatever its kind
	ReplyTo   int
	At        time.Time
}

// Button is an inline keyboard button.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

// HasButton reports whether the message shows a button with this
// callback data.
func (s *Sent) HasButton(data string) bool { return hasButton(s.Buttons, data) }

// Offers reports whether the message was sent with a button with this
// callback data: a member's client may still send it (a double click
// before the keyboard changed).
func (s *Sent) Offers(data string) bool { return hasButton(s.Offered, data) }

func hasButton(bs []Button, data string) bool {
	for _, b := range bs {
		if b.CallbackData == data {
			return true
		}
	}
	return false
}

// NewServer starts a fake Bot API server; Close stops it.
func NewServer() *Server {
	s := &Server{
		changed:  make(chan struct{}),
		nextID:   1000,
		msgs:     map[int64][]*Sent{},
		queries:  map[string]bool{},
		chatType: map[int64]string{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server; getUpdates calls waiting return at once.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.changedLocked()
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Fail sets the function that decides, call by call, whether to fail it
// (nil result: answer normally). nil clears it.
func (s *Server) Fail(fn func(Call) *Failure) {
	s.mu.Lock()
	s.fail = fn
	s.mu.Unlock()
}

func (s *Server) changedLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Wait waits until cond holds, checking it after every change to the
// server's state; false when timeout passes first. cond may call the
// server's methods.
func (s *Server) Wait(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return cond()
		}
	}
}

// Calls returns the calls received so far, of method (all when empty).
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || strings.EqualFold(c.Method, method) {
			out = append(out, c)
		}
	}
	return out
}

// Messages returns the messages sent to a chat, oldest first.
func (s *Server) Messages(chat int64) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Sent, 0, len(s.msgs[chat]))
	for _, m := range s.msgs[chat] {
		out = append(out, *m)
	}
	return out
}

// MessageCount is the number of messages sent to every chat together.
func (s *Server) MessageCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ms := range s.msgs {
		n += len(ms)
	}
	return n
}

// Pending is the number of updates not yet confirmed.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Webhook returns the webhook URL and secret token set, if any.
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook, s.secret
}

// User is a Telegram user; in a private chat the chat ID is the user's ID.
type User struct {
	ID           int64
	FirstName    string
	LanguageCode string // "zh-hans", "en", …
}

func (u User) json() map[string]any {
	m := map[string]any{"id": u.ID, "is_bot": false, "first_name": u.FirstName}
	if m["first_name"] == "" {
		m["first_name"] = "Member"
	}
	if u.LanguageCode != "" {
		m["language_code"] = u.LanguageCode
	}
	return m
}

// Group is a group chat.
type Group struct {
	ID    int64 // negative, as Telegram's
	Title string
}

var msgSeq struct {
	sync.Mutex
	n int
}

func nextInboundID() int {
	msgSeq.Lock()
	defer msgSeq.Unlock()
	msgSeq.n++
	return msgSeq.n
}

// Push queues an update (without update_id: the server assigns the next)
// and returns its update_id.
func (s *Server) Push(update map[string]any) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := update["update_id"].(int64)
	if !ok {
		s.nextID++
		id = s.nextID
		update["update_id"] = id
	}
	raw, err := json.Marshal(update)
	if err != nil {
		panic(err)
	}
	if n := len(s.queue); n > 0 && s.queue[n-1].id >= id {
		s.unordered = true
	}
	s.queue = append(s.queue, queued{id: id, raw: raw})
	s.rememberChat(update)
	s.changedLocked()
	return id
}

func (s *Server) rememberChat(update map[string]any) {
	if m, ok := update["message"].(map[string]any); ok {
		if c, ok := m["chat"].(map[string]any); ok {
			s.chatType[c["id"].(int64)] = c["type"].(string)
		}
	}
	if q, ok := update["callback_query"].(map[string]any); ok {
		s.queries[q["id"].(string)] = false
	}
}

// Redeliver queues update id again, as Telegram does when it did not see
// it acknowledged: it is served once more, whatever the offset.
func (s *Server) Redeliver(update map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, err := json.Marshal(update)
	if err != nil {
		panic(err)
	}
	s.queue = append(s.queue, queued{id: update["update_id"].(int64), raw: raw, forced: true})
	s.unordered = true
	s.rememberChat(update)
	s.changedLocked()
}

// Text builds a private text message update from u. Text starting with
// "/" carries a bot_command entity, as Telegram's clients send it.
func Text(u User, text string) map[string]any {
	return message(u, map[string]any{"id": u.ID, "type": "private", "first_name": u.json()["first_name"]}, text)
}

// GroupText builds a text message update from u in group g.
func GroupText(u User, g Group, text string) map[string]any {
	return message(u, map[string]any{"id": g.ID, "type": "supergroup", "title": g.Title}, text)
}

func message(u User, chat map[string]any, text string) map[string]any {
	m := map[string]any{
		"message_id": nextInboundID(),
		"from":       u.json(),
		"chat":       chat,
		"date":       time.Now().Unix(),
		"text":       text,
	}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		m["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": units(cmd)}}
	}
	return map[string]any{"message": m}
}

// Contact builds a message update sharing a contact: the member's own
// when owner is u.ID.
func Contact(u User, phone string, owner int64) map[string]any {
	upd := message(u, map[string]any{"id": u.ID, "type": "private", "first_name": u.json()["first_name"]}, "")
	m := upd["message"].(map[string]any)
	delete(m, "text")
	m["contact"] = map[string]any{"phone_number": phone, "first_name": "Me", "user_id": owner}
	return upd
}

var querySeq struct {
	sync.Mutex
	n int
}

// Press builds the callback query of u pressing the button with data on
// message m, which the bot sent.
func Press(u User, m Sent, data string) map[string]any {
	querySeq.Lock()
	querySeq.n++
	id := fmt.Sprintf("q%d", querySeq.n)
	querySeq.Unlock()
	msg := map[string]any{
		"message_id": m.MessageID,
		"from":       map[string]any{"id": BotID, "is_bot": true, "first_name": "Kefu", "username": BotUsername},
		"chat":       map[string]any{"id": m.ChatID, "type": "private"},
		"date":       m.At.Unix(),
		"text":       m.Text,
	}
	if len(m.Markup) > 0 {
		msg["reply_markup"] = m.Markup
	} else if len(m.Offered) > 0 {
		msg["reply_markup"] = m.Keyboard // pressed before the edit reached the client
	}
	return map[string]any{"callback_query": map[string]any{
		"id":            id,
		"from":          u.json(),
		"message":       msg,
		"chat_instance": "ci" + strconv.FormatInt(m.ChatID, 10),
		"data":          data,
	}}
}

func units(s string) int { return len(utf16.Encode([]rune(s))) }

// serve answers one Bot API request.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		writeError(w, http.StatusNotFound, "Not Found", 0)
		return
	}
	if token != Token {
		writeError(w, http.StatusUnauthorized, "Unauthorized", 0)
		return
	}
	params, err := readParams(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Bad Request: "+err.Error(), 0)
		return
	}
	call := Call{Method: method, Params: params, At: time.Now(), Chunked: r.ContentLength < 0}
	s.mu.Lock()
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		if f := fail(call); f != nil {
			s.record(call, f.Status)
			if f.Body != "" {
				w.WriteHeader(f.Status)
				fmt.Fprint(w, f.Body)
				return
			}
			d := f.Description
			if d == "" {
				d = http.StatusText(f.Status)
			}
			writeError(w, f.Status, d, f.RetryAfter)
			return
		}
	}
	var result any
	status, desc := http.StatusOK, ""
	switch strings.ToLower(method) {
	case "getme":
		result = map[string]any{"id": BotID, "is_bot": true, "first_name": "Kefu", "username": BotUsername,
			"can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false}
	case "getupdates":
		i := s.record(call, 0) // recorded when it starts: tests look at the offset asked for
		result, status, desc = s.getUpdates(r, params)
		s.mu.Lock()
		s.calls[i].Status = status
		s.changedLocked()
		s.mu.Unlock()
		writeResult(w, status, desc, result)
		return
	case "sendmessage":
		result, status, desc = s.sendMessage(params)
	case "editmessagereplymarkup":
		result, status, desc = s.editMarkup(params)
	case "answercallbackquery":
		result, status, desc = s.answer(params)
	case "setmycommands":
		result, status, desc = s.setCommands(params)
	case "setwebhook":
		s.mu.Lock()
		s.webhook, s.secret = params["url"], params["secret_token"]
		s.mu.Unlock()
		result = true
	case "deletewebhook":
		s.mu.Lock()
		s.webhook, s.secret = "", ""
		s.mu.Unlock()
		result = true
	case "getwebhookinfo":
		s.mu.Lock()
		result = map[string]any{"url": s.webhook, "has_custom_certificate": false, "pending_update_count": len(s.queue)}
		s.mu.Unlock()
	default:
		status, desc = http.StatusNotFound, "Not Found: method not found"
	}
	s.record(call, status)
	writeResult(w, status, desc, result)
}

func (s *Server) record(c Call, status int) (index int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Status = status
	s.calls = append(s.calls, c)
	s.changedLocked()
	return len(s.calls) - 1
}

func writeResult(w http.ResponseWriter, status int, desc string, result any) {
	if status != http.StatusOK {
		writeError(w, status, desc, 0)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

func writeError(w http.ResponseWriter, status int, desc string, retryAfter int) {
	body := map[string]any{"ok": false, "error_code": status, "description": desc}
	if retryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": retryAfter}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// readParams reads a request's parameters as Telegram does: multipart,
// urlencoded, or a query string.
func readParams(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		err := r.ParseMultipartForm(1 << 20)
		if err != nil {
			// A call without parameters comes as an empty body (the
			// library writes no closing boundary); Telegram takes it.
			if r.ContentLength == 0 || errors.Is(err, io.EOF) || strings.Contains(err.Error(), "EOF") {
				return out, nil
			}
			return nil, fmt.Errorf("unreadable multipart body: %v", err)
		}
		for k, v := range r.MultipartForm.Value {
			out[k] = v[0]
		}
	case "application/json":
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, err
		}
		for k, v := range m {
			if s, ok := v.(string); ok {
				out[k] = s
			} else {
				b, _ := json.Marshal(v)
				out[k] = string(b)
			}
		}
	default:
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		for k, v := range r.Form {
			out[k] = v[0]
		}
	}
	return out, nil
}

func (s *Server) getUpdates(r *http.Request, p map[string]string) (any, int, string) {
	offset, _ := strconv.ParseInt(p["offset"], 10, 64)
	limit, _ := strconv.Atoi(p["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(p["timeout"])
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if s.webhook != "" {
			s.mu.Unlock()
			return nil, http.StatusConflict, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
		}
		if offset > 0 {
			// Everything before offset is confirmed: Telegram forgets it.
			if s.unordered {
				s.queue = slices.DeleteFunc(s.queue, func(q queued) bool { return q.id < offset && !q.forced })
			} else {
				s.queue = s.queue[sort.Search(len(s.queue), func(i int) bool { return s.queue[i].id >= offset }):]
			}
		}
		var batch []queued
		for _, q := range s.queue {
			if len(batch) == limit {
				break
			}
			if q.forced || q.id >= offset {
				batch = append(batch, q)
			}
		}
		if len(batch) > 0 || timeout == 0 || s.closed {
			if slices.ContainsFunc(batch, func(b queued) bool { return b.forced }) {
				s.queue = slices.DeleteFunc(s.queue, func(q queued) bool {
					return q.forced && slices.ContainsFunc(batch, func(b queued) bool { return b.forced && b.id == q.id })
				})
			}
			if len(s.queue) == 0 {
				s.unordered = false
			}
			s.mu.Unlock()
			slices.SortStableFunc(batch, func(a, b queued) int { return int(a.id - b.id) })
			out := make([]json.RawMessage, len(batch))
			for i, q := range batch {
				out[i] = q.raw
			}
			return out, http.StatusOK, ""
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			timeout = 0
		case <-r.Context().Done():
			return []json.RawMessage{}, http.StatusOK, ""
		}
	}
}

type markup struct {
	InlineKeyboard [][]map[string]json.RawMessage `json:"inline_keyboard"`
	Keyboard       [][]map[string]json.RawMessage `json:"keyboard"`
	RemoveKeyboard *bool                          `json:"remove_keyboard"`
}

// checkMarkup validates reply_markup as the Bot API does for what kefu
// sends, and returns its inline buttons.
func checkMarkup(raw string) ([]Button, string) {
	if raw == "" {
		return nil, ""
	}
	var m markup
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, "Bad Request: can't parse reply keyboard markup JSON object"
	}
	var out []Button
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			var text string
			if json.Unmarshal(b["text"], &text) != nil || text == "" {
				return nil, "Bad Request: can't parse inline keyboard button: Text must be non-empty"
			}
			if ct, ok := b["copy_text"]; ok {
				var c struct{ Text string }
				if json.Unmarshal(ct, &c) != nil || c.Text == "" {
					return nil, "Bad Request: BUTTON_COPY_TEXT_INVALID"
				}
			}
			kinds := 0
			for k := range b {
				if k != "text" && k != "icon_custom_emoji_id" && k != "style" {
					kinds++
				}
			}
			if kinds != 1 {
				return nil, "Bad Request: can't parse inline keyboard button: exactly one of the optional fields must be used"
			}
			var data string
			if cd, ok := b["callback_data"]; ok {
				if json.Unmarshal(cd, &data) != nil || len(data) == 0 || len(data) > 64 {
					return nil, "Bad Request: BUTTON_DATA_INVALID"
				}
			}
			out = append(out, Button{Text: text, CallbackData: data})
		}
	}
	for _, row := range m.Keyboard {
		for _, b := range row {
			var text string
			if json.Unmarshal(b["text"], &text) != nil || text == "" {
				return nil, "Bad Request: keyboard button text must be non-empty"
			}
		}
	}
	return out, ""
}

func (s *Server) sendMessage(p map[string]string) (any, int, string) {
	chat, err := strconv.ParseInt(p["chat_id"], 10, 64)
	if err != nil || chat == 0 {
		return nil, http.StatusBadRequest, "Bad Request: chat not found"
	}
	text := p["text"]
	if strings.TrimSpace(text) == "" {
		return nil, http.StatusBadRequest, "Bad Request: message text is empty"
	}
	if units(text) > 4096 {
		return nil, http.StatusBadRequest, "Bad Request: message is too long"
	}
	buttons, bad := checkMarkup(p["reply_markup"])
	if bad != "" {
		return nil, http.StatusBadRequest, bad
	}
	italic := false
	if e := p["entities"]; e != "" {
		var ents []struct {
			Type           string
			Offset, Length int
		}
		if json.Unmarshal([]byte(e), &ents) != nil {
			return nil, http.StatusBadRequest, "Bad Request: can't parse entities"
		}
		for _, en := range ents {
			if en.Offset < 0 || en.Length <= 0 || en.Offset+en.Length > units(text) {
				return nil, http.StatusBadRequest, "Bad Request: entity beyond the end of the text"
			}
			if en.Type == "italic" && en.Offset == 0 && en.Length == units(text) {
				italic = true
			}
		}
	}
	var replyTo int
	if rp := p["reply_parameters"]; rp != "" {
		var r struct {
			MessageID int `json:"message_id"`
		}
		if json.Unmarshal([]byte(rp), &r) != nil {
			return nil, http.StatusBadRequest, "Bad Request: can't parse reply parameters"
		}
		replyTo = r.MessageID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	typ := s.chatType[chat]
	if typ == "" {
		typ = "private"
	}
	m := &Sent{MessageID: len(s.msgs[chat]) + 1, ChatID: chat, Text: text, Italic: italic, ReplyTo: replyTo, At: time.Now()}
	if p["reply_markup"] != "" {
		m.Keyboard = json.RawMessage(p["reply_markup"])
	}
	if len(buttons) > 0 {
		m.Buttons, m.Offered = buttons, buttons
		m.Markup = json.RawMessage(p["reply_markup"])
	}
	s.msgs[chat] = append(s.msgs[chat], m)
	res := map[string]any{
		"message_id": m.MessageID,
		"from":       map[string]any{"id": BotID, "is_bot": true, "first_name": "Kefu", "username": BotUsername},
		"chat":       map[string]any{"id": chat, "type": typ},
		"date":       m.At.Unix(),
		"text":       text,
	}
	if m.Markup != nil {
		res["reply_markup"] = m.Markup
	}
	return res, http.StatusOK, ""
}

func (s *Server) editMarkup(p map[string]string) (any, int, string) {
	chat, _ := strconv.ParseInt(p["chat_id"], 10, 64)
	id, _ := strconv.Atoi(p["message_id"])
	buttons, bad := checkMarkup(p["reply_markup"])
	if bad != "" {
		return nil, http.StatusBadRequest, bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id < 1 || id > len(s.msgs[chat]) {
		return nil, http.StatusBadRequest, "Bad Request: message to edit not found"
	}
	m := s.msgs[chat][id-1]
	if m.Markup == nil && p["reply_markup"] == "" || string(m.Markup) == p["reply_markup"] {
		return nil, http.StatusBadRequest, "Bad Request: message is not modified"
	}
	m.Buttons, m.Markup = buttons, nil
	if len(buttons) > 0 {
		m.Markup = json.RawMessage(p["reply_markup"])
	}
	return map[string]any{"message_id": m.MessageID, "chat": map[string]any{"id": chat, "type": "private"}, "date": m.At.Unix(), "text": m.Text}, http.StatusOK, ""
}

func (s *Server) answer(p map[string]string) (any, int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := p["callback_query_id"]
	answered, known := s.queries[id]
	if !known || answered {
		return nil, http.StatusBadRequest, "Bad Request: query is too old and response timeout expired or query ID is invalid"
	}
	s.queries[id] = true
	return true, http.StatusOK, ""
}

// Answered reports whether the callback query of a Press update was
// answered.
func (s *Server) Answered(update map[string]any) bool {
	q := update["callback_query"].(map[string]any)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[q["id"].(string)]
}

func (s *Server) setCommands(p map[string]string) (any, int, string) {
	var cmds []struct{ Command, Description string }
	if err := json.Unmarshal([]byte(p["commands"]), &cmds); err != nil || len(cmds) == 0 {
		return nil, http.StatusBadRequest, "Bad Request: can't parse commands"
	}
	for _, c := range cmds {
		if len(c.Command) < 1 || len(c.Command) > 32 || strings.ToLower(c.Command) != c.Command || c.Description == "" || len([]rune(c.Description)) > 256 {
			return nil, http.StatusBadRequest, "Bad Request: BOT_COMMAND_INVALID"
		}
	}
	return true, http.StatusOK, ""
}

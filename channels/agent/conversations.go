package agent

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// maxBody is the largest request body the API reads: a reply of
// dialog.DefaultMaxLen characters fits, however it is escaped.
const maxBody = 64 << 10

// Summary is a conversation as the agent API lists it (DESIGN §5, plus
// version, position, updated_at and callback).
type Summary struct {
	ID           string     `json:"id"`
	Status       string     `json:"status"` // bot, waiting, active, closed
	Channel      string     `json:"channel"`
	Lang         string     `json:"lang"`
	WaitingSince *time.Time `json:"waiting_since"` // null unless waiting
	Agent        string     `json:"agent"`         // who holds it; "" unless active
	Preview      string     `json:"preview"`       // the member's last message, shortened
	Version      int64      `json:"version"`       // changes whenever the owner does; send it back with actions
	Position     int        `json:"position"`      // place in the queue while waiting (1 = next); 0 otherwise
	UpdatedAt    time.Time  `json:"updated_at"`
	Callback     string     `json:"callback,omitempty"` // open callback work order
}

// Detail is one conversation with its transcript and member summary.
type Detail struct {
	Summary
	Member   bot.MemberSummary `json:"member"`
	Messages []Message         `json:"messages"`
	Notes    []bot.Note        `json:"notes"` // agents' internal notes, oldest first
}

// Message is a transcript message in the websocket's shape (DESIGN §5).
type Message struct {
	Type string `json:"type"` // always "message"
	bot.Message
}

func messageOf(m bot.Message) Message { return Message{Type: "message", Message: m} }

// summary describes c; position is its place in the queue.
func summary(c bot.Conversation, position int) Summary {
	s := Summary{
		ID:        c.ID,
		Status:    c.Status,
		Channel:   c.Channel,
		Lang:      string(c.Lang()),
		Agent:     c.Agent,
		Preview:   dialog.MaskText(c.Preview), // the list is glanced at: no whole phone or email
		Version:   c.Version,
		UpdatedAt: c.UpdatedAt,
		Callback:  c.Callback,
	}
	if c.Status == bot.ConvWaiting {
		since := c.WaitingSince
		s.WaitingSince, s.Position = &since, position
	}
	return s
}

func (c *Console) summary(conv bot.Conversation) Summary {
	pos := 0
	if conv.Status == bot.ConvWaiting {
		pos = c.ho.QueuePosition(conv.ID)
	}
	return summary(conv, pos)
}

// statusRank orders a listing: the queue first, then conversations held,
// then the rest.
var statusRank = map[string]int{bot.ConvWaiting: 0, bot.ConvActive: 1, bot.ConvBot: 2, bot.ConvClosed: 3}

// list serves GET /agent/api/conversations?status=waiting|active|all:
// without status, the waiting and the active ones. Waiting conversations
// come in queue order, the others most recently changed first. With q, it
// searches (search), among all conversations unless status is given.
func (c *Console) list(w http.ResponseWriter, r *http.Request, agent string) {
	status := r.URL.Query().Get("status")
	searching := r.URL.Query().Has("q")
	var keep func(s string) bool
	switch status {
	case "":
		keep = func(s string) bool { return searching || s == bot.ConvWaiting || s == bot.ConvActive }
	case bot.ConvWaiting, bot.ConvActive:
		keep = func(s string) bool { return s == status }
	case "all":
		keep = func(string) bool { return true }
	default:
		writeError(w, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("status %q: want waiting, active or all", status))
		return
	}
	if searching {
		c.search(w, r, agent, keep)
		return
	}
	list := c.ho.List // waiting and active ones: the index, not every conversation
	if status == "all" {
		list = func(ctx context.Context) ([]bot.Conversation, error) { return c.rt.Conversations(ctx, "") }
	}
	convs, err := list(r.Context())
	if err != nil {
		c.internal(w, "list conversations", agent, err)
		return
	}
	out := c.summaries(convs, keep)
	slices.SortFunc(out, func(a, b Summary) int {
		if n := cmp.Compare(statusRank[a.Status], statusRank[b.Status]); n != 0 {
			return n
		}
		if a.Status == bot.ConvWaiting {
			// A conversation that left the queue while listed sorts last.
			return cmp.Or(cmp.Compare(queueOrder(a), queueOrder(b)), a.WaitingSince.Compare(*b.WaitingSince))
		}
		return cmp.Or(b.UpdatedAt.Compare(a.UpdatedAt), strings.Compare(a.ID, b.ID))
	})
	writeJSON(w, http.StatusOK, map[string]any{"conversations": out})
}

func queueOrder(s Summary) int {
	if s.Position == 0 {
		return int(^uint(0) >> 1)
	}
	return s.Position
}

// detail serves GET /agent/api/conversations/{id}: the summary, the member
// summary and the transcript.
func (c *Console) detail(w http.ResponseWriter, r *http.Request, agent string) {
	id := r.PathValue("id")
	conv, err := c.rt.Conversation(r.Context(), id)
	if err != nil {
		c.agentError(w, agent, id, conv, err)
		return
	}
	member, err := c.ho.MemberSummary(r.Context(), id)
	if err != nil {
		c.internal(w, "member summary", agent, err)
		return
	}
	history, err := c.rt.History(r.Context(), id)
	if err != nil {
		c.internal(w, "history", agent, err)
		return
	}
	notes, err := c.ho.Notes(r.Context(), id)
	if err != nil {
		c.internal(w, "notes", agent, err)
		return
	}
	d := Detail{Summary: c.summary(conv), Member: member, Messages: make([]Message, len(history)), Notes: notes}
	for i, m := range history {
		d.Messages[i] = messageOf(m)
	}
	writeJSON(w, http.StatusOK, d)
}

// actionBody is the body of the POST endpoints; which fields count depends
// on the endpoint. Version 0 (or absent) means "whatever it is now".
type actionBody struct {
	Version int64  `json:"version"`
	Text    string `json:"text"`
	Action  string `json:"action"`
	Note    string `json:"note"`
}

// versioned is a request body that names the conversation's version.
type versioned interface{ version() int64 }

func (b *actionBody) version() int64 { return b.Version }

// readBody decodes the request's JSON object into b, whatever its
// Content-Type says (curl -d sends form); an empty body is an empty object
// unless required.
func readBody(w http.ResponseWriter, r *http.Request, b versioned, required bool) bool {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadJSON, fmt.Sprintf("the body is larger than %d KiB", maxBody>>10))
		return false
	}
	if len(strings.TrimSpace(string(raw))) == 0 && !required {
		return true
	}
	if err := json.Unmarshal(raw, b); err != nil {
		writeError(w, http.StatusBadRequest, CodeBadJSON, "the body is not the JSON object expected: "+jsonProblem(err))
		return false
	}
	if b.version() < 0 {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "version must be the conversation's version, or 0 for the current one")
		return false
	}
	return true
}

// jsonProblem says what is wrong with a body without echoing Go's types.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if want, ok := fieldTypes[typeErr.Field]; ok {
			return typeErr.Field + " must be " + want
		}
		return "want a JSON object"
	}
	return "invalid JSON"
}

var fieldTypes = map[string]string{"version": "a whole number", "text": "a string", "action": "a string", "note": "a string"}

// ownerChange serves the POSTs that change who holds a conversation, with
// an optional body {"version":N}: …/claim (the agent takes it), …/release
// (back to the bot, which continues the flow where it was) and …/close (it
// ends; the member's next message starts afresh with the bot).
func (c *Console) ownerChange(change func(ctx context.Context, id, agent string, version int64) (bot.Conversation, error)) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, agent string) {
		var b actionBody
		if !readBody(w, r, &b, false) {
			return
		}
		id := r.PathValue("id")
		conv, err := change(r.Context(), id, agent, b.Version)
		c.answer(w, agent, id, conv, err)
	}
}

// reply serves POST …/{id}/messages {"text":"…","version":N}: the
// agent's reply to the member.
func (c *Console) reply(w http.ResponseWriter, r *http.Request, agent string) {
	var b actionBody
	if !readBody(w, r, &b, true) {
		return
	}
	text := strings.TrimSpace(b.Text)
	if text == "" {
		writeError(w, http.StatusBadRequest, CodeBadRequest, `text is required: {"text":"…"}`)
		return
	}
	id := r.PathValue("id")
	conv, err := c.ho.AgentMessage(r.Context(), id, agent, b.Version, text)
	var long *bot.TooLongError
	if errors.As(err, &long) {
		writeError(w, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("text is %d characters; at most %d fit in one message", utf8.RuneCountInString(text), long.Max))
		return
	}
	c.answer(w, agent, id, conv, err)
}

// act serves POST …/{id}/actions {"action":"cancel_now|no_renew","version":N}:
// the agent executes the choice for the verified member; the answer is the
// work order.
func (c *Console) act(w http.ResponseWriter, r *http.Request, agent string) {
	var b actionBody
	if !readBody(w, r, &b, true) {
		return
	}
	action := dialog.OrderKind(b.Action)
	if action != dialog.KindCancelNow && action != dialog.KindNoRenew {
		writeError(w, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("action %q: want cancel_now or no_renew", b.Action))
		return
	}
	id := r.PathValue("id")
	o, err := c.ho.AgentAct(r.Context(), id, agent, b.Version, action)
	if err != nil {
		conv, _ := c.rt.Conversation(r.Context(), id)
		c.agentError(w, agent, id, conv, err)
		return
	}
	c.log.Info("agent action", "agent", agent, "conv", id, "action", action, "order", o.Number)
	writeJSON(w, http.StatusOK, o)
}

// answer writes the conversation after an agent's change, or the error.
func (c *Console) answer(w http.ResponseWriter, agent, id string, conv bot.Conversation, err error) {
	if err != nil {
		c.agentError(w, agent, id, conv, err)
		return
	}
	writeJSON(w, http.StatusOK, c.summary(conv))
}

// agentError maps the runtime's errors to statuses; a 409 carries the
// conversation as it is now.
func (c *Console) agentError(w http.ResponseWriter, agent, id string, conv bot.Conversation, err error) {
	var status int
	var code, msg string
	switch {
	case errors.Is(err, bot.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no conversation %q", id))
		return
	case errors.Is(err, bot.ErrHeld):
		status, code, msg = http.StatusConflict, CodeHeld, fmt.Sprintf("agent %s holds this conversation", conv.Agent)
	case errors.Is(err, bot.ErrStale):
		status, code, msg = http.StatusConflict, CodeStale, fmt.Sprintf("the conversation changed hands since you loaded it: reload it (it is at version %d now)", conv.Version)
	case errors.Is(err, bot.ErrNotHeld):
		status, code, msg = http.StatusConflict, CodeNotHeld, "claim the conversation first: nobody holds it now"
	case errors.Is(err, bot.ErrNotVerified):
		status, code, msg = http.StatusConflict, CodeNotVerified, "the member has not verified their identity, or it has expired: release the conversation so the bot verifies them, then act"
	default:
		c.internal(w, "agent action on "+id, agent, err)
		return
	}
	s := c.summary(conv)
	writeJSON(w, status, apiError{Error: msg, Code: code, Conversation: &s})
}

// internal logs err in full and tells the agent only that it failed.
func (c *Console) internal(w http.ResponseWriter, what, agent string, err error) {
	c.log.Error(what, "agent", agent, "err", err)
	writeError(w, http.StatusInternalServerError, CodeInternal, "that failed on the server (it is logged); try again")
}

// backup serves GET /agent/api/backup: an online backup of the whole
// store, as `kefu restore` reads it. A failure after the first byte cuts
// the download short, so a broken backup never looks complete.
func (c *Console) backup(w http.ResponseWriter, r *http.Request, agent string) {
	c.log.Info("backup downloaded", "agent", agent)
	name := "kefu-backup-" + time.Now().In(c.loc).Format("20060102T150405") + ".tar"
	w.Header().Set("Content-Type", "application/x-tar")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	cw := &countingWriter{w: w}
	if err := c.rt.Backup(cw); err != nil {
		if cw.n == 0 {
			w.Header().Del("Content-Disposition")
			c.internal(w, "backup", agent, err)
			return
		}
		c.log.Error("backup", "agent", agent, "err", err)
		panic(http.ErrAbortHandler)
	}
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// summaries lists the conversations whose status keep accepts.
func (c *Console) summaries(convs []bot.Conversation, keep func(string) bool) []Summary {
	out := []Summary{}
	for _, conv := range convs {
		if keep(conv.Status) {
			out = append(out, c.summary(conv))
		}
	}
	return out
}

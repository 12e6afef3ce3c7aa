package bot

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/ratelimit"
	"github.com/kefu-dev/kefu/locales"
	"github.com/kefu-dev/kefu/store"
)

// Runtime routes every channel's members through the dialog engine: it keeps
// conversations (persisted in the store, loaded lazily), runs one turn at a
// time per conversation, renders replies in the member's language, stores
// transcripts and publishes new messages to subscribers. Every change to a
// conversation, a member's turn or an agent's action (Handoffs) or a
// reminder (Outbox), goes through it, so they take turns. Its methods are
// safe for concurrent use.
type Runtime struct {
	store        store.Store
	state        store.DB // store.State()
	ledger       store.DB // store.Ledger()
	engine       *dialog.Engine
	verification *Verification // the engine's verifier, which agents use too
	catalog      *locales.Catalog
	orders       *WorkOrderBook
	log          *slog.Logger
	metrics      *Metrics
	now          func() time.Time
	loc          *time.Location // days of reports' tallies
	maxLen       int
	// msgLimit is the per-conversation message rate (limits.go).
	msgLimit *ratelimit.Limiter

	// The parts, each with a job of its own (doc.go).
	ho       *Handoffs
	outbox   *Outbox
	channels *ChannelState
	health   *Health
	cluster  cluster // the other instances on the store, if any

	stop      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	mu       sync.Mutex
	live     map[string]*liveConv
	chanSubs map[string]map[int]ChannelSubscriber // by channel
	nextSub  int

	// Notices a turn's ports produced for the conversation's own transcript
	// (demo codes and receipts), drained by the turn that caused them.
	noteMu sync.Mutex
	notes  map[string][]Message
}

// liveConv is a loaded conversation. mu serialises its turns and guards
// conv and evicted; subs, next and used are under Runtime.mu.
type liveConv struct {
	mu      sync.Mutex
	conv    Conversation
	evicted bool // dropped from Runtime.live: load it again
	subs    map[int]func(Message)
	next    int
	used    time.Time
	// buttons are those of the newest message that had any, so a button
	// press finds its label without reading the transcript; nil when not
	// known (a record from before buttons were stored by reference).
	buttons []MessageButton
}

// Start opens (or reopens) a conversation with a welcome; payload may name a
// flow to open straight away ("cancel").
func (r *Runtime) Start(ctx context.Context, id string, hint dialog.Lang, payload string) error {
	return r.turn(ctx, id, dialog.Input{Kind: dialog.InputStart, Text: payload, Hint: hint}, "")
}

// Handle runs one member message (text, or a button's value) through the
// conversation. The member's message and every reply reach subscribers.
// A message beyond the conversation's rate is refused (*RateLimitError); one
// longer than MaxLen is answered and reported (*TooLongError).
func (r *Runtime) Handle(ctx context.Context, id string, kind dialog.InputKind, text string, hint dialog.Lang) error {
	if err := r.checkRate(id); err != nil {
		return err
	}
	echo, long := r.memberEcho(kind, text)
	err := r.turn(ctx, id, dialog.Input{Kind: kind, Text: text, Hint: hint}, echo)
	if err == nil && long {
		err = &TooLongError{Max: r.maxLen}
	}
	return err
}

// turn runs one engine turn: the member's message, then (unless an agent
// holds the conversation) the bot's replies and the effects' messages.
func (r *Runtime) turn(ctx context.Context, id string, in dialog.Input, echo string) error {
	if err := r.admit(ctx, id, in.Hint); err != nil {
		return err
	}
	started := time.Now()
	_, err := r.change(ctx, id, func(e *edit) error {
		c := &e.c
		in.At, in.Conv, in.Channel, in.Waiting = e.now, c.ID, c.Channel, c.Status == ConvWaiting
		if in.Kind == dialog.InputButton {
			echo = r.buttonLabel(ctx, *c, e.buttons, in.Text)
		}
		if in.Kind != dialog.InputStart {
			e.add(FromMember, echo, nil)
			c.Preview = truncateRunes(echo, 80)
		}
		switch c.Status {
		case ConvActive: // an agent holds the conversation: the bot stays silent
			if c.CodeBy != "" && in.Kind == dialog.InputText { // the code an agent had sent?
				if code, ok := dialog.ExtractCode(in.Text); ok {
					r.ho.codeTyped(ctx, e, code)
				}
			}
			return nil
		case ConvClosed:
			c.Status = ConvBot // the member is back: a new start
		}
		st, replies, effects := r.engine.Turn(ctx, c.State, in)
		c.State = st
		for _, rep := range replies {
			e.reply(r, rep)
		}
		if n := len(e.msgs); len(replies) > 0 && e.msgs[n-1].From == FromBot {
			e.msgs[n-1].Expect = expectFor(st.Step)
		}
		for _, m := range r.takeNotes(c.ID) {
			e.add(m.From, m.Text, nil)
		}
		for _, eff := range effects {
			r.apply(ctx, e, eff)
		}
		return nil
	})
	r.metrics.TurnSeconds.Observe(time.Since(started).Seconds())
	return err
}

// edit is one change to a conversation: a working copy and the messages it
// adds.
type edit struct {
	c       Conversation
	now     time.Time
	msgs    []Message
	buttons []MessageButton // the newest buttons shown before this change
	extra   []write         // stored with the change: tallies
}

func (e *edit) add(from, text string, buttons []MessageButton) {
	e.c.Seq++
	e.msgs = append(e.msgs, Message{ID: strconv.FormatUint(e.c.Seq, 10), From: from, Text: text, Buttons: buttons, At: e.now})
}

// reply adds a bot reply rendered in the conversation's language.
func (e *edit) reply(r *Runtime, rep dialog.Reply) {
	e.add(FromBot, r.render(e.c.Lang(), rep.ID, rep.Data), r.buttons(e.c.Lang(), rep.Buttons))
}

// apply carries out an engine effect.
func (r *Runtime) apply(ctx context.Context, e *edit, eff dialog.Effect) {
	switch eff := eff.(type) {
	case dialog.Failure:
		r.metrics.Errors.WithLabelValues("turn").Inc()
		r.log.Error("turn failed", "conv", e.c.ID, "err", eff.Err)
	case dialog.Withdraw:
		r.ho.withdraw(e)
	case dialog.Handoff:
		r.ho.queueMember(ctx, e, eff.Reason)
	case dialog.Feedback:
		r.recordFeedback(ctx, e, eff)
	case dialog.Kept:
		r.tally(e, Tally{Kind: TallyKept})
	case dialog.Completed:
		r.tally(e, Tally{Kind: TallyCompleted, Flow: string(eff.Kind), Actions: eff.Actions})
	case dialog.Satisfaction:
		r.tally(e, Tally{Kind: TallyCSAT, Up: eff.Up})
		e.c.CSAT = "down"
		if eff.Up {
			e.c.CSAT = "up"
		}
	}
}

// note queues a message for the conversation's transcript; the turn in
// flight adds it after its replies.
func (r *Runtime) note(conv string, m Message) {
	r.noteMu.Lock()
	r.notes[conv] = append(r.notes[conv], m)
	r.noteMu.Unlock()
}

func (r *Runtime) takeNotes(conv string) []Message {
	r.noteMu.Lock()
	defer r.noteMu.Unlock()
	ms := r.notes[conv]
	delete(r.notes, conv)
	return ms
}

func (r *Runtime) render(lang dialog.Lang, id string, data map[string]any) string {
	s, err := r.catalog.Render(lang, id, data)
	if err != nil {
		r.log.Error("render", "id", id, "lang", lang, "err", err)
	}
	return s
}

func (r *Runtime) buttons(lang dialog.Lang, bs []dialog.Button) []MessageButton {
	if len(bs) == 0 {
		return nil
	}
	out := make([]MessageButton, len(bs))
	for i, b := range bs {
		out[i] = MessageButton{Label: r.render(lang, b.Label, b.Data), Value: b.Value}
	}
	return out
}

// buttonLabel finds what a pressed button said, for the transcript; an
// unknown value is shown as it is.
func (r *Runtime) buttonLabel(ctx context.Context, c Conversation, newest []MessageButton, value string) string {
	label := findLabel(newest, value)
	if label == "" { // an older button, or the conversation was just loaded
		_ = r.state.View(ctx, func(txn store.Txn) error {
			n := 0 // the last ten messages
			return messagesBack(txn, c.ID, c.Seq, func(m Message) bool {
				n++
				label = findLabel(m.Buttons, value) // repeated buttons: found further back
				return label != "" || n == 10
			})
		})
	}
	if label != "" {
		return label
	}
	if id, ok := dialog.ButtonLabel(value); ok && r.catalog.IDs(c.Lang())[id] {
		return r.render(c.Lang(), id, nil)
	}
	return truncateRunes(value, 80)
}

func findLabel(bs []MessageButton, value string) string {
	for _, b := range bs {
		if b.Value == value {
			return b.Label
		}
	}
	return ""
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

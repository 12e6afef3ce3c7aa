package bot

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/jsonw"
	"github.com/kefu-dev/kefu/store"
)

// Key layout. Every key the package writes starts with one of these
// prefixes, and no two prefixes of one database are such that one begins
// the other's keys unless noted: a Scan of one prefix never meets another's
// records. The Ledger is synced on every commit (what must survive a power
// loss); the State is not (what may lose its last moments). Changing what a
// key holds needs a new record version (recordV1 below) or a new prefix;
// records in the old form must still read.
const (
	// State: conversations and transcripts.
	convPrefix    = "conv/"    // + conversation ID → conversation record (encodeConv)
	addrPrefix    = "addr/"    // + channel + "/" + member's key on it → conversation ID
	msgKeyPrefix  = "msg/"     // + conversation ID + "/" + first message number (8 bytes, big endian) → transcript entry (encodeMsgs)
	handoffPrefix = "handoff/" // + conversation ID → status (waiting, active): the handoff index
	// notePrefix + conversation ID + "/" + time (UTC, orderTimeLayout) +
	// "/" + note ID → Note (JSON): agents' internal notes, never in a
	// transcript.
	notePrefix = "note/"

	// State: agents' presence, shared by instances on one store.
	presencePrefix = "presence/" // + agent + "/" + instance ID → nothing, with a TTL of the handoff grace

	// State: channel adapters' own state (ChannelState).
	seenPrefix   = "seen/"   // + channel + "/" + event key → nothing, with a TTL
	cursorPrefix = "cursor/" // + cursor name → int64 (8 bytes, big endian)

	// State: verification (Verification).
	verifyPrefix = "verify/" // + account key (source/, member/, other/ + …) → verifyRecord (JSON)
	// verifyAuditPrefix + Unix ms + "/" + random → agentAttempt (JSON): who
	// tried to verify which (masked) account, and how it went.
	verifyAuditPrefix = "verify-audit/"

	// State: members' verdicts on help-center articles (Runtime.KBFeedback).
	// One key per verdict, so verdicts never contend; nothing in it names
	// the member or the conversation.
	kbFeedbackPrefix = "kb-feedback/" // + article ID + "/" + Unix ms + "/" + random → "up" or "down"

	// State: what the reports count (Runtime.Tallies); no member or
	// conversation in it.
	tallyPrefix = "tally/" // + day (tallyDay, in Config.Location) + "/" + random → Tally (JSON)
	tallyDay    = "20060102"

	// State: the outbox's and reminders' own marks.
	deliveredPrefix   = "delivered/"       // + a delivery's Ledger key → nothing: done, to purge from the Ledger
	memberConvPrefix  = "member-conv/"     // + member ID → the conversation that last verified them
	reminderCursorKey = "reminders/cursor" // → reminderCursor (JSON); losing it only costs a sweep

	// Ledger: work orders (WorkOrderBook).
	orderPrefix       = "wo/"        // + number → orderRecord (JSON)
	orderKeyPrefix    = "wo-key/"    // + idempotency key → number
	orderMemberPrefix = "wo-member/" // + member ID + "/" + number → nothing
	orderTimePrefix   = "wo-time/"   // + creation time (UTC, orderTimeLayout) + "/" + number → nothing
	orderSeqName      = "wo/"        // + YYYYMMDD: the day's store sequence (DB.Next, not a key)
	orderTimeLayout   = "20060102T150405.000000000"

	// Ledger: the outbox and renewal reminders.
	deliveryPrefix = "outbox/"   // + kind + "/" + … (delivery.key) → delivery (JSON)
	remindedPrefix = "reminded/" // + member + "/" + period end (Unix s) → nothing

	// Ledger: the demo member store (DemoMembers).
	memberPrefix     = "member/"          // + id → dialog.Member (JSON)
	memberPhonePref  = "member-by-phone/" // + phone → id
	memberEmailPref  = "member-by-email/" // + email → id
	memberAppliedPre = "member-applied/"  // + id + "/" + key → dialog.Outcome (JSON)
	memberSeededKey  = "member-seeded"    // written last by Seed

	// Ledger: secrets (secret).
	secretPrefix = "secret/" // + name → 32 random bytes
)

// Names of store locks and leads (store.Cluster), not keys.
const (
	convLockPrefix = "conv/" // + conversation ID: one change at a time across instances
	leadPrefix     = "lead/" // + name: one instance does the work (Runtime.Lead)
)

func convKey(id string) []byte { return []byte(convPrefix + id) }

func addrKey(channel, user string) []byte { return []byte(addrPrefix + channel + "/" + user) }

func msgPrefix(id string) []byte { return []byte(msgKeyPrefix + id + "/") }

func notesPrefix(conv string) []byte { return []byte(notePrefix + conv + "/") }

func noteKey(conv string, n Note) []byte {
	return []byte(notePrefix + conv + "/" + n.At.UTC().Format(orderTimeLayout) + "/" + n.ID)
}

func handoffKey(id string) []byte { return []byte(handoffPrefix + id) }

func remindedKey(member string, periodEnd int64) []byte {
	return []byte(remindedPrefix + member + "/" + strconv.FormatInt(periodEnd, 10))
}

func memberConvKey(member string) []byte { return []byte(memberConvPrefix + member) }

func msgKey(id string, seq uint64) []byte {
	k := msgPrefix(id)
	return binary.BigEndian.AppendUint64(k, seq)
}

// getConv reads a stored conversation; ErrNotFound when there is none.
// With sameButtons its State.Buttons are those of newestButtons.
func getConv(txn store.Txn, id string) (c Conversation, sameButtons bool, err error) {
	b, err := txn.Get(convKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return c, false, ErrNotFound
	}
	if err != nil {
		return c, false, err
	}
	return decodeConv(id, b)
}

// newestButtons returns the buttons of the conversation's newest message
// with buttons, up to message seq.
func newestButtons(txn store.Txn, id string, seq uint64) (buttons []MessageButton, err error) {
	err = messagesBack(txn, id, seq, func(m Message) bool {
		buttons = m.Buttons
		return len(buttons) > 0
	})
	return buttons, err
}

// Stored forms of conversations and messages. Every turn writes the
// conversation and its new messages, and every byte written to Badger is
// paid again by its write-ahead log and compactions, so records are kept
// small: short keys, times as Unix milliseconds, no fields the key already
// holds (a conversation's ID, a message's number), and a button list stored
// once: a message whose buttons are those of the newest earlier message
// with buttons (the menu, shown again) and a dialog state whose buttons are
// that message's say so instead of repeating them. A record starts with
// recordV1; one starting with '{' is the full JSON of earlier versions and
// still reads.
const recordV1 = 0x01

// The messages one change adds are one transcript entry, under the key of
// the first (msgKey): one Badger key per turn instead of one per message.
// An entry of several starts with recordBatch, then their number and, for
// each, its length and record (uvarints); an entry of one is its record
// (as every entry was before).
const recordBatch = 0x02

type storedConv struct {
	Channel      string       `json:"c"`
	User         string       `json:"u"`
	Status       string       `json:"s,omitempty"` // "": ConvBot
	Agent        string       `json:"a,omitempty"`
	Version      int64        `json:"v,omitempty"`
	WaitingSince int64        `json:"w,omitempty"`
	Callback     string       `json:"cb,omitempty"`
	CodeBy       string       `json:"cd,omitempty"`
	CSAT         string       `json:"cs,omitempty"`
	State        dialog.State `json:"st"`
	SameButtons  bool         `json:"sb,omitempty"` // State.Buttons: the newest message buttons' values
	Seq          uint64       `json:"q,omitempty"`
	Preview      string       `json:"p,omitempty"`
	CreatedAt    int64        `json:"ca"`
	UpdatedAt    int64        `json:"ua"`
}

type storedMsg struct {
	From    string      `json:"f"`
	Text    string      `json:"t"`
	Buttons [][2]string `json:"b,omitempty"`  // label, value
	Same    bool        `json:"bs,omitempty"` // the buttons of the newest earlier message with buttons
	At      int64       `json:"a"`
	Expect  string      `json:"e,omitempty"`
}

func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromUnixMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// encodeConv encodes c; newest are the buttons of its newest message with
// buttons, when known.
func encodeConv(c Conversation, newest []MessageButton) []byte {
	s := storedConv{
		Channel: c.Channel, User: c.User, Agent: c.Agent, Version: c.Version,
		WaitingSince: unixMilli(c.WaitingSince), Callback: c.Callback, CodeBy: c.CodeBy, CSAT: c.CSAT, State: c.State,
		Seq: c.Seq, Preview: c.Preview, CreatedAt: unixMilli(c.CreatedAt), UpdatedAt: unixMilli(c.UpdatedAt),
	}
	if c.Status != ConvBot {
		s.Status = c.Status
	}
	if len(newest) > 0 && len(newest) == len(c.State.Buttons) && slices.EqualFunc(newest, c.State.Buttons, func(b MessageButton, v string) bool { return b.Value == v }) {
		s.State.Buttons, s.SameButtons = nil, true
	}
	return appendConv(make([]byte, 0, 320), s)
}

// appendConv appends s's record, recordV1 and its JSON as encoding/json
// writes it, without reflection (every turn writes one).
func appendConv(b []byte, s storedConv) []byte {
	b = append(b, recordV1, '{')
	b = jsonw.Field(b, "c")
	b = jsonw.String(b, s.Channel)
	b = jsonw.Field(b, "u")
	b = jsonw.String(b, s.User)
	b = optString(b, "s", s.Status)
	b = optString(b, "a", s.Agent)
	b = optInt(b, "v", s.Version)
	b = optInt(b, "w", s.WaitingSince)
	b = optString(b, "cb", s.Callback)
	b = optString(b, "cd", s.CodeBy)
	b = optString(b, "cs", s.CSAT)
	b = jsonw.Field(b, "st")
	b = appendState(b, s.State)
	if s.SameButtons {
		b = append(b, `,"sb":true`...)
	}
	b = optInt(b, "q", int64(s.Seq))
	b = optString(b, "p", s.Preview)
	b = jsonw.Field(b, "ca")
	b = jsonw.Int(b, s.CreatedAt)
	b = jsonw.Field(b, "ua")
	b = jsonw.Int(b, s.UpdatedAt)
	return append(b, '}')
}

// appendState appends st as encoding/json writes it.
func appendState(b []byte, st dialog.State) []byte {
	b = append(b, '{')
	b = optString(b, "lang", string(st.Lang))
	if st.LangChosen {
		b = jsonw.Field(b, "lang_chosen")
		b = append(b, "true"...)
	}
	b = optString(b, "step", string(st.Step))
	b = optString(b, "goal", string(st.Goal))
	b = optInt(b, "flow", int64(st.Flow))
	b = optString(b, "account", st.Account)
	b = optString(b, "method", string(st.Method))
	b = optInt(b, "amount", st.Amount)
	b = optString(b, "verified", st.Verified)
	b = optTime(b, "verified_at", st.VerifiedAt)
	b = optString(b, "choice", string(st.Choice))
	b = optString(b, "reason", st.Reason)
	b = optString(b, "number", st.Number)
	b = optInt(b, "misses", int64(st.Misses))
	if len(st.Buttons) > 0 {
		b = jsonw.Field(b, "buttons")
		b = append(b, '[')
		for i, v := range st.Buttons {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.String(b, v)
		}
		b = append(b, ']')
	}
	b = optInt(b, "done_flow", int64(st.DoneFlow))
	b = optString(b, "done_number", st.DoneNumber)
	b = optString(b, "callback", st.Callback)
	b = optInt(b, "actions", int64(st.Actions))
	b = optString(b, "csat_for", st.CSATFor)
	b = optTime(b, "last_active", st.LastActive)
	return append(b, '}')
}

// optString, optInt and optTime append a field unless its value is the
// zero one (omitempty, omitzero).
func optString(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	return jsonw.String(jsonw.Field(b, name), v)
}

func optInt(b []byte, name string, v int64) []byte {
	if v == 0 {
		return b
	}
	return jsonw.Int(jsonw.Field(b, name), v)
}

func optTime(b []byte, name string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return jsonw.Time(jsonw.Field(b, name), t)
}

// decodeConv decodes a stored conversation; sameButtons says its
// State.Buttons are to be filled from its newest message with buttons.
func decodeConv(id string, b []byte) (c Conversation, sameButtons bool, err error) {
	if len(b) > 0 && b[0] == '{' {
		err := json.Unmarshal(b, &c)
		return c, false, err
	}
	var s storedConv
	if err := decodeRecord(b, &s); err != nil {
		return c, false, err
	}
	c = Conversation{
		ID: id, Channel: s.Channel, User: s.User, Status: s.Status, Agent: s.Agent, Version: s.Version,
		WaitingSince: fromUnixMilli(s.WaitingSince), Callback: s.Callback, CodeBy: s.CodeBy, CSAT: s.CSAT, State: s.State,
		Seq: s.Seq, Preview: s.Preview, CreatedAt: fromUnixMilli(s.CreatedAt), UpdatedAt: fromUnixMilli(s.UpdatedAt),
	}
	if c.Status == "" {
		c.Status = ConvBot
	}
	return c, s.SameButtons, nil
}

// encodeMsgs encodes the messages one change adds as one transcript entry;
// prev are the buttons of the newest earlier message with buttons, newest
// those after ms.
func encodeMsgs(ms []Message, prev []MessageButton) (entry []byte, newest []MessageButton) {
	newest = prev
	if len(ms) == 1 {
		entry = appendMsg(make([]byte, 0, 48+len(ms[0].Text)+40*len(ms[0].Buttons)), ms[0], newest)
		if len(ms[0].Buttons) > 0 {
			newest = ms[0].Buttons
		}
		return entry, newest
	}
	entry = binary.AppendUvarint(append(make([]byte, 0, 256*len(ms)), recordBatch), uint64(len(ms)))
	var rec []byte
	for _, m := range ms {
		rec = appendMsg(rec[:0], m, newest)
		if len(m.Buttons) > 0 {
			newest = m.Buttons
		}
		entry = append(binary.AppendUvarint(entry, uint64(len(rec))), rec...)
	}
	return entry, newest
}

var errBadEntry = errors.New("malformed transcript entry")

// decodeEntry calls fn with each message of the transcript entry (key,
// val), oldest first, and returns the buttons of the newest message with
// buttons; prev are those before the entry (nil when unknown: a message
// repeating them then has none). An error from fn ends it.
func decodeEntry(key, val []byte, prev []MessageButton, fn func(seq uint64, m Message) error) ([]MessageButton, error) {
	seq := msgSeq(key)
	emit := func(seq uint64, rec []byte) error {
		m, _, err := decodeMsg(seq, rec, prev)
		if err != nil {
			return err
		}
		if len(m.Buttons) > 0 {
			prev = m.Buttons
		}
		return fn(seq, m)
	}
	if len(val) == 0 || val[0] != recordBatch {
		return prev, emit(seq, val)
	}
	rest := val[1:]
	n, k := binary.Uvarint(rest)
	if k <= 0 {
		return prev, errBadEntry
	}
	rest = rest[k:]
	for i := range n {
		l, k := binary.Uvarint(rest)
		if k <= 0 || l > uint64(len(rest)-k) {
			return prev, errBadEntry
		}
		if err := emit(seq+i, rest[k:k+int(l)]); err != nil {
			return prev, err
		}
		rest = rest[k+int(l):]
	}
	return prev, nil
}

// messagesBack calls fn with the conversation's messages numbered seq and
// below, newest first, until it returns true. Repeated buttons are known
// only within an entry: a message whose buttons repeat an older entry's
// has none here (they are found further back).
func messagesBack(txn store.Txn, id string, seq uint64, fn func(m Message) (stop bool)) error {
	return txn.Scan(msgPrefix(id), store.ScanOptions{Reverse: true, From: msgKey(id, seq)}, func(k, v []byte) error {
		var ms []Message
		_, err := decodeEntry(k, v, nil, func(s uint64, m Message) error {
			if s <= seq {
				ms = append(ms, m)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i := len(ms) - 1; i >= 0; i-- {
			if fn(ms[i]) {
				return store.ErrStop
			}
		}
		return nil
	})
}

// messagesFrom calls fn with the conversation's messages from..to, oldest
// first, their repeated buttons resolved.
func messagesFrom(txn store.Txn, id string, from, to uint64, fn func(m Message)) error {
	start := from // the entry holding from may begin before it
	err := txn.Scan(msgPrefix(id), store.ScanOptions{Reverse: true, From: msgKey(id, from), KeysOnly: true}, func(k, _ []byte) error {
		start = msgSeq(k)
		return store.ErrStop
	})
	if err != nil {
		return err
	}
	var prev []MessageButton
	if start > 1 {
		if prev, err = newestButtons(txn, id, start-1); err != nil {
			return err
		}
	}
	return txn.Scan(msgPrefix(id), store.ScanOptions{From: msgKey(id, start)}, func(k, v []byte) error {
		prev, err = decodeEntry(k, v, prev, func(seq uint64, m Message) error {
			switch {
			case seq > to:
				return store.ErrStop
			case seq >= from:
				fn(m)
			}
			return nil
		})
		return err
	})
}

// appendMsg appends m's record (a storedMsg) to b; prev are the buttons of
// the newest earlier message with buttons, when known. It appends without
// reflection: every message of every turn comes here.
func appendMsg(b []byte, m Message, prev []MessageButton) []byte {
	b = append(b, recordV1, '{')
	b = jsonw.Field(b, "f")
	b = jsonw.String(b, m.From)
	b = jsonw.Field(b, "t")
	b = jsonw.String(b, m.Text)
	switch {
	case len(m.Buttons) > 0 && slices.Equal(m.Buttons, prev):
		b = append(b, `,"bs":true`...)
	case len(m.Buttons) > 0:
		b = append(b, `,"b":[`...)
		for i, btn := range m.Buttons {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = jsonw.String(b, btn.Label)
			b = append(b, ',')
			b = jsonw.String(b, btn.Value)
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	b = jsonw.Field(b, "a")
	b = jsonw.Int(b, unixMilli(m.At))
	if m.Expect != "" {
		b = jsonw.Field(b, "e")
		b = jsonw.String(b, m.Expect)
	}
	return append(b, '}')
}

// decodeMsg decodes message seq; prev are the buttons of the newest
// earlier message with buttons, nil when unknown (a message that repeats
// them then has none; same reports it).
func decodeMsg(seq uint64, b []byte, prev []MessageButton) (m Message, same bool, err error) {
	if len(b) > 0 && b[0] == '{' {
		err := json.Unmarshal(b, &m)
		return m, false, err
	}
	var s storedMsg
	if err := decodeRecord(b, &s); err != nil {
		return m, false, err
	}
	m = Message{ID: strconv.FormatUint(seq, 10), From: s.From, Text: s.Text, At: fromUnixMilli(s.At), Expect: s.Expect}
	if s.Same {
		m.Buttons = prev
	}
	if len(s.Buttons) > 0 {
		m.Buttons = make([]MessageButton, len(s.Buttons))
		for i, b := range s.Buttons {
			m.Buttons[i] = MessageButton{Label: b[0], Value: b[1]}
		}
	}
	return m, s.Same, nil
}

func decodeRecord(b []byte, v any) error {
	if len(b) == 0 || b[0] != recordV1 {
		return errors.New("unknown record format")
	}
	return json.Unmarshal(b[1:], v)
}

// msgSeq is the message number at the end of a message key.
func msgSeq(key []byte) uint64 {
	if len(key) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(key[len(key)-8:])
}

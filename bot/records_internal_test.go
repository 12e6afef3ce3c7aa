package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/store"

	"github.com/kefu-dev/kefu/dialog"
)

// TestRecordsRoundTrip: a conversation and a message read back from their
// compact stored form as they were written (times to the millisecond).
func TestRecordsRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 24, 8, 30, 1, 123_000_000, time.UTC)
	c := Conversation{
		ID: "c1", Channel: "web", User: "u", Status: ConvActive, Agent: "li", Version: 3,
		WaitingSince: at, Callback: "WO1", CodeBy: "li", CSAT: "up", Seq: 9, Preview: "你好", CreatedAt: at, UpdatedAt: at.Add(time.Second),
		State: dialog.State{Lang: dialog.EN, Step: dialog.StepConfirm, Buttons: []string{"a", "b"}, LastActive: at},
	}
	b := encodeConv(c, nil)
	got, same, err := decodeConv("c1", b)
	if err != nil || same || !reflect.DeepEqual(got.State, c.State) || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Fatalf("conversation: %+v %v", got, err)
	}
	got.State, c.State = dialog.State{}, dialog.State{}
	for _, ts := range []*time.Time{&got.WaitingSince, &got.CreatedAt, &got.UpdatedAt} {
		*ts = ts.In(time.UTC)
	}
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("conversation:\n got %+v\nwant %+v", got, c)
	}
	bot := Conversation{ID: "c2", Status: ConvBot}
	if b = encodeConv(bot, nil); json.Valid(b) || b[0] != recordV1 {
		t.Fatalf("not the compact form: %q", b)
	}
	if got, _, _ := decodeConv("c2", b); got.Status != ConvBot {
		t.Fatalf("status %q", got.Status)
	}
	// State buttons that are the newest message's are not stored twice.
	menu := []MessageButton{{"A", "a"}, {"B", "b"}}
	b = encodeConv(Conversation{ID: "c3", State: dialog.State{Buttons: []string{"a", "b"}}}, menu)
	if got, same, _ := decodeConv("c3", b); !same || got.State.Buttons != nil {
		t.Fatalf("state buttons stored again: %q", b)
	}
	if b = encodeConv(Conversation{ID: "c4", State: dialog.State{Buttons: []string{"a"}}}, menu); !bytes.Contains(b, []byte(`"a"`)) {
		t.Fatalf("other state buttons were dropped: %q", b)
	}

	m := Message{ID: "7", From: FromBot, Text: "hi", Buttons: []MessageButton{{"Yes", "y"}}, At: at, Expect: ExpectCode}
	b = appendMsg(nil, m, nil)
	gm, same, err := decodeMsg(7, b, nil)
	if err != nil || same || !gm.At.Equal(at) {
		t.Fatalf("message: %+v %v", gm, err)
	}
	gm.At = m.At
	if !reflect.DeepEqual(gm, m) {
		t.Fatalf("message:\n got %+v\nwant %+v", gm, m)
	}
	if _, _, err := decodeMsg(1, []byte{0x7f, '{', '}'}, nil); err == nil {
		t.Fatal("an unknown record format was accepted")
	}
	// The appender writes what encoding/json writes for storedMsg.
	for _, tc := range []struct {
		m    Message
		prev []MessageButton
		want storedMsg
	}{
		{m, nil, storedMsg{From: m.From, Text: m.Text, Buttons: [][2]string{{"Yes", "y"}}, At: at.UnixMilli(), Expect: m.Expect}},
		{m, m.Buttons, storedMsg{From: m.From, Text: m.Text, Same: true, At: at.UnixMilli(), Expect: m.Expect}},
		{Message{From: FromMember, Text: "<\"\n\xff>"}, nil, storedMsg{From: FromMember, Text: "<\"\n\xff>"}},
	} {
		b := appendMsg(nil, tc.m, tc.prev)
		want, _ := appendRecord(tc.want)
		if string(b) != string(want) {
			t.Errorf("appendMsg:\n got %q\nwant %q", b, want)
		}
	}
	// A message repeating the previous buttons refers to them.
	b = appendMsg(nil, m, []MessageButton{{"Yes", "y"}})
	if bytes.Contains(b, []byte("Yes")) {
		t.Fatalf("repeated buttons stored again: %q", b)
	}
	if gm, same, _ := decodeMsg(8, b, []MessageButton{{"Yes", "y"}}); !same || len(gm.Buttons) != 1 || gm.Buttons[0].Label != "Yes" {
		t.Fatalf("repeated buttons: %+v", gm)
	}
}

// TestLegacyRecordsRead: conversations and messages stored as full JSON by
// earlier versions still load, resume and replay.
func TestLegacyRecordsRead(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r, err := Open(Config{DataDir: dir, Demo: true, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	legacy := Conversation{ID: "old", Channel: "web", User: "u-old", Status: ConvBot, Seq: 1,
		State: dialog.State{Lang: dialog.EN, Step: dialog.StepIdentify, Goal: dialog.IntentCancelMembership}, CreatedAt: at, UpdatedAt: at}
	msg := Message{ID: "1", From: FromBot, Text: "Which phone or email?", Buttons: []MessageButton{{"Talk to a person", "intent:human_agent"}}, At: at}
	err = r.state.Update(context.Background(), func(txn store.Txn) error {
		cb, _ := json.Marshal(legacy)
		mb, _ := json.Marshal(msg)
		for k, v := range map[string][]byte{string(convKey("old")): cb, string(msgKey("old", 1)): mb, string(addrKey("web", "u-old")): []byte("old")} {
			if err := txn.Set([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	hist, err := r.History(ctx, "old")
	if err != nil || len(hist) != 1 || hist[0].Text != msg.Text || hist[0].Buttons[0] != msg.Buttons[0] {
		t.Fatalf("history %+v %v", hist, err)
	}
	if err := r.Handle(ctx, "old", dialog.InputButton, "intent:human_agent", ""); err != nil {
		t.Fatal(err)
	}
	hist, _ = r.History(ctx, "old")
	if len(hist) < 3 || hist[1].From != FromMember || hist[1].Text != "Talk to a person" {
		t.Fatalf("the pressed button's label was not found in the legacy message: %+v", hist)
	}
	c, err := r.Conversation(ctx, "old")
	if err != nil || c.Channel != "web" || c.Lang() != dialog.EN {
		t.Fatalf("conversation %+v %v", c, err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestButtonsAfterReload: a conversation read back from the store (its
// buttons stored once, by reference) still takes "2" for the second button
// and echoes a pressed button's label, as before it left memory.
func TestButtonsAfterReload(t *testing.T) {
	r, err := Open(Config{DataDir: t.TempDir(), Demo: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	menuTwice := func(user string) string {
		id, _, _ := r.Resolve(ctx, "test", user)
		for range 2 { // the second menu refers to the first's buttons
			if err := r.Handle(ctx, id, dialog.InputText, "你好", dialog.ZH); err != nil {
				t.Fatal(err)
			}
		}
		r.mu.Lock()
		r.live[id].used = time.Now().Add(-2 * idleEvict)
		r.mu.Unlock()
		r.evictIdle()
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.live[id] != nil {
			t.Fatal("not evicted")
		}
		return id
	}

	id := menuTwice("numbered")
	if err := r.Handle(ctx, id, dialog.InputText, "2", ""); err != nil {
		t.Fatal(err)
	}
	if c, _ := r.Conversation(ctx, id); c.State.Goal != dialog.IntentTurnOffAutoRenew {
		t.Fatalf("\"2\" after a reload: %+v", c.State)
	}

	id = menuTwice("pressed")
	if err := r.Handle(ctx, id, dialog.InputButton, "intent:membership_status", ""); err != nil {
		t.Fatal(err)
	}
	hist, _ := r.History(ctx, id)
	if got := hist[4]; got.From != FromMember || got.Text != "我的会员" {
		t.Fatalf("pressed button echoed as %+v", got)
	}
	if hist[3].Buttons == nil || hist[3].Buttons[0].Label != "取消会员" {
		t.Fatalf("the repeated menu lost its buttons in the history: %+v", hist[3])
	}
}

// The conversation appender writes what encoding/json writes, with every
// field set (a field added to storedConv or dialog.State and not to the
// appender fails here) and with none.
func TestConvAppenderMatchesEncodingJSON(t *testing.T) {
	var full storedConv
	fill(reflect.ValueOf(&full).Elem())
	for _, s := range []storedConv{full, {}, {State: dialog.State{Buttons: []string{}}}} {
		want, err := appendRecord(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendConv(nil, s); string(got) != string(want) {
			t.Errorf("appendConv:\n got %q\nwant %q", got, want)
		}
	}
}

// fill sets every field of v, recursively, to a value that is not zero.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 24, 8, 30, 1, 123456789, time.FixedZone("CST", 8*3600))))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i))
		}
	case reflect.String:
		v.SetString("<é\"\n" + v.Type().Name())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(-7)
	case reflect.Uint64:
		v.SetUint(9)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0))
		fill(s.Index(1))
		v.Set(s)
	default:
		panic("fill: " + v.Kind().String())
	}
}

// A transcript written one message per entry (earlier versions) and then a
// change's messages per entry reads back whole in every way it is read:
// all of it, a range starting and ending inside entries, and newest first;
// a message repeating an earlier one's buttons gets them across entries.
func TestTranscriptEntries(t *testing.T) {
	rt, err := Open(Config{DataDir: t.TempDir(), Location: shanghai, Log: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	at := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	menu := []MessageButton{{"Cancel", "intent:cancel"}, {"Agent", "intent:agent"}}
	yes := []MessageButton{{"Yes", "confirm:1"}}
	all := []Message{
		{From: FromBot, Text: "welcome", Buttons: menu}, // 1: an entry of its own, as before
		{From: FromMember, Text: "hi"},                  // 2: as before
		{From: FromMember, Text: "cancel"},              // 3–5: one change
		{From: FromBot, Text: "sure?", Buttons: yes},
		{From: FromBot, Text: "menu again", Buttons: menu},
		{From: FromMember, Text: "Yes"}, // 6–7: one change
		{From: FromBot, Text: "menu", Buttons: menu},
	}
	for i := range all {
		all[i].ID, all[i].At = strconv.Itoa(i+1), at.Add(time.Duration(i)*time.Second)
	}
	err = rt.state.Update(context.Background(), func(txn store.Txn) error {
		var prev []MessageButton
		for _, e := range [][2]int{{1, 1}, {2, 2}, {3, 5}, {6, 7}} {
			ms := all[e[0]-1 : e[1]]
			var entry []byte
			if e[0] <= 2 {
				entry = appendMsg(nil, ms[0], prev)
			} else {
				entry, _ = encodeMsgs(ms, prev)
			}
			for _, m := range ms {
				if len(m.Buttons) > 0 {
					prev = m.Buttons
				}
			}
			if err := txn.Set(msgKey("c1", uint64(e[0])), entry); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	same := func(got, want []Message) bool {
		if len(got) != len(want) {
			return false
		}
		for i := range got {
			g, w := got[i], want[i]
			if !g.At.Equal(w.At) {
				return false
			}
			g.At = w.At
			if !reflect.DeepEqual(g, w) {
				return false
			}
		}
		return true
	}
	if h, err := rt.History(context.Background(), "c1"); err != nil || !same(h, all) {
		t.Fatalf("History = %+v, %v", h, err)
	}
	for _, r := range [][2]uint64{{4, 6}, {5, 7}, {2, 3}, {7, 7}, {1, 9}} {
		got, err := rt.messages(context.Background(), "c1", r[0], r[1])
		if want := all[r[0]-1 : min(r[1], 7)]; err != nil || !same(got, want) {
			t.Errorf("messages %d…%d = %+v, %v; want %+v", r[0], r[1], got, err, want)
		}
	}
	err = rt.state.View(context.Background(), func(txn store.Txn) error {
		for seq, want := range map[uint64][]MessageButton{4: yes, 5: menu, 3: menu, 7: menu} {
			if got, err := newestButtons(txn, "c1", seq); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("newest buttons up to %d = %v, %v; want %v", seq, got, err, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := rt.buttonLabel(context.Background(), Conversation{ID: "c1", Seq: 7}, nil, "confirm:1"); got != "Yes" {
		t.Errorf("label of an older entry's button = %q", got)
	}
	entry, _ := encodeMsgs(all[2:5], nil)
	for _, bad := range [][]byte{entry[:len(entry)-3], {recordBatch}, {recordBatch, 2, 200, 1}} {
		if _, err := decodeEntry(msgKey("c1", 3), bad, nil, func(uint64, Message) error { return nil }); err == nil {
			t.Errorf("a malformed entry %q was read", bad)
		}
	}
}

// appendRecord is what the appenders are held to: recordV1 and
// encoding/json's bytes.
func appendRecord(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append([]byte{recordV1}, b...), nil
}

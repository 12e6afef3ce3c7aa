package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kefu-dev/kefu/store"
)

// Internal notes: what agents write about a conversation for each other.
// They are kept apart from the transcript (notePrefix, not msgKeyPrefix),
// so no channel, no history replay and no subscriber of the conversation
// ever meets one; only the agents' API and note watchers (WatchNotes) do.

// Note is one agent's internal note on a conversation.
type Note struct {
	ID    string    `json:"id"`
	Agent string    `json:"agent"`
	Text  string    `json:"text"`
	At    time.Time `json:"at"`
}

// ErrEmptyNote: a note needs some text.
var ErrEmptyNote = errors.New("a note needs some text")

// AddNote stores agent's note on conversation id, which any agent may
// note, held or not; unknown is ErrNotFound, longer than MaxLen
// *TooLongError.
func (h *Handoffs) AddNote(ctx context.Context, id, agent, text string) (Note, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Note{}, ErrEmptyNote
	}
	if err := h.rt.checkLen(text); err != nil {
		return Note{}, err
	}
	n := Note{ID: newID(), Agent: agent, Text: text, At: h.rt.now().UTC().Truncate(time.Millisecond)}
	err := h.rt.state.Update(ctx, func(txn store.Txn) error {
		if _, _, err := getConv(txn, id); err != nil {
			return err
		}
		return setJSON(txn, noteKey(id, n), n)
	})
	if err != nil {
		return Note{}, fmt.Errorf("note on %s: %w", id, err)
	}
	if !h.rt.cluster.shared() {
		h.noteWatchers.tell(convNote{id, n})
		return n, nil
	}
	// The bus carries the key, not the note: a note may be longer than a
	// payload. Every instance, this one included, reads it from the store.
	if err := h.rt.cluster.bus.Publish(ctx, noteTopic, noteKey(id, n)); err != nil {
		h.rt.log.Warn("announce a note", "conv", id, "err", err) // consoles see it when they reload
	}
	return n, nil
}

// noteTopic is the bus topic of new notes: the payload is the note's key.
const noteTopic = "note"

// remoteNote reads a note announced on the bus and tells the watchers.
func (h *Handoffs) remoteNote(key []byte) {
	rest, ok := strings.CutPrefix(string(key), notePrefix)
	conv, _, found := strings.Cut(rest, "/")
	if !ok || !found {
		return
	}
	var n Note
	err := h.rt.state.View(context.Background(), func(txn store.Txn) error { // the bus has no caller to wait for it
		_, err := getJSON(txn, key, &n)
		return err
	})
	if err != nil || n.ID == "" {
		h.rt.log.Warn("read an announced note", "conv", conv, "err", err)
		return
	}
	h.noteWatchers.tell(convNote{conv, n})
}

// WatchNotes calls fn with each note added from now on to any
// conversation, on any instance sharing the store, until unwatch is
// called. fn must not block.
func (h *Handoffs) WatchNotes(fn func(conv string, n Note)) (unwatch func()) {
	return h.noteWatchers.add(func(cn convNote) { fn(cn.conv, cn.note) })
}

// convNote is a note and its conversation, as note watchers are told.
type convNote struct {
	conv string
	note Note
}

// Notes returns the notes on conversation id, oldest first.
func (h *Handoffs) Notes(ctx context.Context, id string) ([]Note, error) {
	notes := []Note{}
	err := h.rt.state.View(ctx, func(txn store.Txn) error {
		return txn.Scan(notesPrefix(id), store.ScanOptions{}, func(_, v []byte) error {
			var n Note
			if err := json.Unmarshal(v, &n); err != nil {
				return err
			}
			notes = append(notes, n)
			return nil
		})
	})
	return notes, err
}

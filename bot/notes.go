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
// ever meets one; only the agents' API reads them.

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
	return n, nil
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

package agent

import (
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/kefu-dev/kefu/bot"
)

// Internal notes (DESIGN §5, "Agents' tools"): POST
// /agent/api/conversations/{id}/notes {"text":"…"} → 201 {"note":{…}}, and
// GET of the same path → {"notes":[…]}. Any agent may note any
// conversation; notes reach agents only (the conversation's detail, the
// event streams of consoles that have it open, on any instance), never the
// member.

func (c *Console) addNote(w http.ResponseWriter, r *http.Request, agent string) {
	var b actionBody
	if !readBody(w, r, &b, true) {
		return
	}
	id := r.PathValue("id")
	n, err := c.ho.AddNote(r.Context(), id, agent, b.Text)
	var long *bot.TooLongError
	switch {
	case errors.Is(err, bot.ErrEmptyNote):
		writeError(w, http.StatusBadRequest, CodeBadRequest, `text is required: {"text":"…"}`)
		return
	case errors.As(err, &long):
		writeError(w, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("text is %d characters; at most %d fit in one note", utf8.RuneCountInString(b.Text), long.Max))
		return
	case errors.Is(err, bot.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no conversation %q", id))
		return
	case err != nil:
		c.internal(w, "note on "+id, agent, err)
		return
	}
	c.log.Info("note added", "agent", agent, "conv", id)
	writeJSON(w, http.StatusCreated, map[string]any{"note": n})
}

func (c *Console) notes(w http.ResponseWriter, r *http.Request, agent string) {
	id := r.PathValue("id")
	if _, err := c.rt.Conversation(r.Context(), id); err != nil {
		c.agentError(w, agent, id, bot.Conversation{}, err)
		return
	}
	notes, err := c.ho.Notes(r.Context(), id)
	if err != nil {
		c.internal(w, "notes of "+id, agent, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notes": notes})
}

package agent

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// callbacks serves GET /agent/api/callbacks?status=open|done (default
// open): {"callbacks":[…work orders…]}, newest first.
func (c *Console) callbacks(w http.ResponseWriter, r *http.Request, agent string) {
	status := r.URL.Query().Get("status")
	switch status {
	case "":
		status = "open"
	case "open", "done":
	default:
		writeError(w, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("status %q: want open or done", status))
		return
	}
	orders, err := c.rt.WorkOrders().Callbacks(r.Context(), status)
	if err != nil {
		c.internal(w, "list callbacks", agent, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"callbacks": orders})
}

// closeCallback serves POST /agent/api/workorders/{number}/close
// {"note":"…"}: the agent has called the member back; the answer is the
// order, now done, with the agent's name and note.
func (c *Console) closeCallback(w http.ResponseWriter, r *http.Request, agent string) {
	var b actionBody
	if !readBody(w, r, &b, true) {
		return
	}
	raw := r.PathValue("number")
	o, err := c.rt.WorkOrders().CloseCallback(r.Context(), raw, agent, b.Note, c.now())
	switch {
	case badNumber(w, raw, err):
	case errors.Is(err, bot.ErrCloseNote):
		writeError(w, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf(`note is required, at most %d characters: {"note":"what was done"}`, bot.MaxCloseNote))
	case errors.Is(err, bot.ErrNoOrder):
		n, _ := dialog.ParseNumber(raw)
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no work order %s", n))
	case errors.Is(err, bot.ErrNotCallback):
		writeError(w, http.StatusConflict, CodeNotCallback, "this work order is not a callback: only callbacks are closed by hand")
	case errors.Is(err, bot.ErrAlreadyClosed):
		writeError(w, http.StatusConflict, CodeClosed, "this callback is closed already")
	case err != nil:
		c.internal(w, "close callback "+raw, agent, err)
	default:
		c.log.Info("callback closed", "agent", agent, "order", o.Number)
		writeJSON(w, http.StatusOK, o)
	}
}

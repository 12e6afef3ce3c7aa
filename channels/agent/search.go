package agent

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// query is what an agent searches conversations by: exactly one field is
// set.
type query struct {
	account string // a whole phone (11 digits) or an email (lower case)
	last4   string // the last 4 digits of a phone
	number  string // a work-order number, canonical
}

// errQuery is a q that is none of the things conversations are found by.
var errQuery = errors.New("q: give a phone (all 11 digits or the last 4), an email or a work-order number")

// parseQuery reads q; a work-order number with a wrong check digit is
// dialog.ErrCheckDigit, refused before any lookup (DESIGN §4).
func parseQuery(q string) (query, error) {
	q = strings.TrimSpace(q)
	switch {
	case strings.Contains(q, "@"):
		if e, ok := dialog.ExtractEmail(q); ok && e == strings.ToLower(q) {
			return query{account: e}, nil
		}
		return query{}, errQuery
	case len(q) >= 2 && strings.EqualFold(q[:2], "WO"):
		n, err := dialog.ParseNumber(q)
		return query{number: n}, err
	}
	digits := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, q)
	if len(digits) == 4 && strings.Trim(digits, "0123456789") == "" {
		return query{last4: digits}, nil
	}
	if p, ok := dialog.ExtractPhone(q); ok {
		return query{account: p}, nil
	}
	return query{}, errQuery
}

// search serves GET /agent/api/conversations?q=…[&status=…]: the
// conversations of the member a phone, an email or a work-order number
// names, by the account given in them or the member verified in them,
// most recently changed first, in the list's shape (so masked alike).
func (c *Console) search(w http.ResponseWriter, r *http.Request, agent string, keep func(string) bool) {
	raw := r.URL.Query().Get("q")
	q, err := parseQuery(raw)
	switch {
	case badNumber(w, raw, err):
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	convs, err := c.find(r.Context(), q)
	if err != nil {
		c.internal(w, "search conversations", agent, err)
		return
	}
	out := c.summaries(convs, keep)
	slices.SortFunc(out, func(a, b Summary) int {
		return cmp.Or(b.UpdatedAt.Compare(a.UpdatedAt), strings.Compare(a.ID, b.ID))
	})
	writeJSON(w, http.StatusOK, map[string]any{"conversations": out})
}

// find returns the conversations q names. The member system failing is
// logged and the search goes on with what the conversations themselves
// say (the account given in them).
func (c *Console) find(ctx context.Context, q query) ([]bot.Conversation, error) {
	if q.number != "" {
		o, found, err := c.rt.WorkOrders().Get(ctx, q.number)
		if err != nil || !found || o.Conv == "" {
			return nil, err
		}
		conv, err := c.rt.Conversation(ctx, o.Conv)
		if errors.Is(err, bot.ErrNotFound) { // its transcript is past retention
			return nil, nil
		}
		return []bot.Conversation{conv}, err
	}
	all, err := c.rt.Conversations(ctx, "")
	if err != nil {
		return nil, err
	}
	members := c.rt.Members()
	var match func(conv bot.Conversation) bool
	if q.account != "" {
		m, found, err := members.Lookup(ctx, q.account)
		if err != nil {
			c.log.Warn("search: member lookup", "err", err)
		}
		match = func(conv bot.Conversation) bool {
			return conv.State.Account == q.account || found && conv.State.Verified == m.ID
		}
	} else {
		phones := map[string]string{} // member ID → phone, each member asked once
		match = func(conv bot.Conversation) bool {
			if a := conv.State.Account; !strings.Contains(a, "@") && strings.HasSuffix(a, q.last4) {
				return true
			}
			id := conv.State.Verified
			if id == "" {
				return false
			}
			phone, asked := phones[id]
			if !asked {
				m, found, err := members.Get(ctx, id)
				if err != nil {
					c.log.Warn("search: member", "member", id, "err", err)
				}
				if found {
					phone = m.Phone
				}
				phones[id] = phone
			}
			return phone != "" && strings.HasSuffix(phone, q.last4)
		}
	}
	var out []bot.Conversation
	for _, conv := range all {
		if match(conv) {
			out = append(out, conv)
		}
	}
	return out, nil
}

package bot

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/store"
)

// recordFeedback stores a member's verdict on a help-center article.
func (r *Runtime) recordFeedback(ctx context.Context, e *edit, f dialog.Feedback) {
	if f.Article == "" || strings.Contains(f.Article, "/") {
		return
	}
	verdict := "down"
	if f.Helpful {
		verdict = "up"
	}
	key := kbFeedbackPrefix + f.Article + "/" + strconv.FormatInt(e.now.UnixMilli(), 10) + "/" + newID()
	err := r.state.Update(ctx, func(txn store.Txn) error { return txn.Set([]byte(key), []byte(verdict)) })
	if err != nil {
		r.log.Error("article feedback", "article", f.Article, "err", err)
	}
}

// ArticleFeedback counts the members' verdicts on help-center articles.
type ArticleFeedback struct {
	Helpful    int `json:"helpful"`
	NotHelpful int `json:"not_helpful"`
}

// KBFeedback returns the verdicts given from from until before until on
// each article that has any (zero times: no bound), from the store, so
// every instance counts the same.
func (r *Runtime) KBFeedback(ctx context.Context, from, until time.Time) (map[string]ArticleFeedback, error) {
	out := map[string]ArticleFeedback{}
	err := r.state.View(ctx, func(txn store.Txn) error {
		return txn.Scan([]byte(kbFeedbackPrefix), store.ScanOptions{}, func(k, v []byte) error {
			id, rest, _ := strings.Cut(string(k[len(kbFeedbackPrefix):]), "/")
			msText, _, _ := strings.Cut(rest, "/")
			if ms, err := strconv.ParseInt(msText, 10, 64); err == nil {
				at := time.UnixMilli(ms)
				if !from.IsZero() && at.Before(from) || !until.IsZero() && !at.Before(until) {
					return nil
				}
			}
			f := out[id]
			if bytes.Equal(v, []byte("up")) {
				f.Helpful++
			} else {
				f.NotHelpful++
			}
			out[id] = f
			return nil
		})
	})
	return out, err
}

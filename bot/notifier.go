package bot

import (
	"context"
	"log/slog"

	"github.com/kefu-dev/kefu/dialog"
)

// Notice kinds.
const (
	NoticeCode     = "code"
	NoticeReceipt  = "receipt"
	NoticeReminder = "reminder"
)

// Notice is a message to a member outside the chat: a verification code, a
// receipt or a renewal reminder.
type Notice struct {
	Kind   string            // NoticeCode, NoticeReceipt or NoticeReminder
	Method dialog.Method     // dialog.MethodSMS or dialog.MethodEmail: where it goes
	To     string            // the phone (11 digits) or email it goes to
	Code   string            // with NoticeCode
	Order  *dialog.WorkOrder // with NoticeReceipt
	// Renewal is the member reminded of their renewal, with NoticeReminder:
	// plan, price and PeriodEnd (when auto-renew charges).
	Renewal *dialog.Member
	Lang    dialog.Lang
	Conv    string // the conversation that caused it
	Channel string // the channel of that conversation
}

// Notifier delivers notices to members (SMS, email). Implementations must be
// safe for concurrent use; Notify may block until the notice is handed over.
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// NotifierFunc adapts a function to a Notifier.
type NotifierFunc func(ctx context.Context, n Notice) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, n Notice) error { return f(ctx, n) }

// LogNotifier is the default notifier: it writes one log line per notice
// with the destination masked, and never the code itself.
type LogNotifier struct {
	Log *slog.Logger // nil: slog.Default()
}

// Notify logs n.
func (l LogNotifier) Notify(ctx context.Context, n Notice) error {
	log := l.Log
	if log == nil {
		log = slog.Default()
	}
	attrs := []slog.Attr{
		slog.String("kind", n.Kind),
		slog.String("method", string(n.Method)),
		slog.String("to", dialog.MaskAccount(n.To)),
		slog.String("conv", n.Conv),
		slog.String("chan", n.Channel),
	}
	if n.Order != nil {
		attrs = append(attrs, slog.String("order", n.Order.Number))
	}
	log.LogAttrs(ctx, slog.LevelInfo, "notice", attrs...)
	return nil
}

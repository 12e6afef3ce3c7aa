package dialog

// OrderFields is a work order as a member reads it, as message data:
// Number, Kind (for an agent's action, the action taken), Status, Created,
// Effective, Refund and AutoRenew (the state after the order). The
// locales render these values the same wherever a receipt is shown.
func OrderFields(o WorkOrder) map[string]any {
	return map[string]any{
		"Number":    o.Number,
		"Kind":      Msg("kind_" + string(o.ActionKind())),
		"Status":    Msg("order_" + o.Status),
		"Created":   o.CreatedAt,
		"Effective": o.EffectiveAt,
		"Refund":    refundText(o.RefundCents),
		"AutoRenew": onOff(o.AutoRenew),
	}
}

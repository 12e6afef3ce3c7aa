package main

import (
	"net/http"

	"github.com/kefu-dev/kefu/bot"
)

// healthBody is GET /healthz's answer (README "Health"): each part's state,
// ok, degraded or off, and why each degraded part is.
type healthBody struct {
	Status     string            `json:"status"` // ok, degraded, or unhealthy (503)
	Store      string            `json:"store"`
	Telegram   string            `json:"telegram"`
	MembersAPI string            `json:"members_api"`
	Notifier   string            `json:"notifier"`
	Reasons    map[string]string `json:"reasons"`
}

// healthz answers 200 while members can be served, degraded parts
// included, and 503 when the store cannot serve at all.
func (m *Main) healthz(w http.ResponseWriter, r *http.Request) {
	parts, err := m.Runtime.Health().Parts()
	state := func(name string) string {
		h, ok := parts[name]
		if !ok {
			return bot.PartOff
		}
		return h.State
	}
	body := healthBody{
		Status: bot.PartOK, Store: state(bot.PartStore), Telegram: state(partTelegram),
		MembersAPI: state(bot.PartMembers), Notifier: state(bot.PartNotifier),
		Reasons: map[string]string{},
	}
	for name, h := range parts {
		if h.State == bot.PartDegraded {
			body.Status, body.Reasons[name] = bot.PartDegraded, h.Reason
		}
	}
	status := http.StatusOK
	if err != nil {
		body.Status, status = "unhealthy", http.StatusServiceUnavailable
	}
	writeJSON(w, status, body)
}

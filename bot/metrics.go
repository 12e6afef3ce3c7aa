package bot

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are kefu's Prometheus metrics, on a registry of their own so that
// several runtimes (tests) do not collide.
type Metrics struct {
	Registry      *prometheus.Registry
	Conversations prometheus.GaugeFunc   // conversations loaded in memory
	Connections   *prometheus.GaugeVec   // open member connections, by channel
	MessagesIn    *prometheus.CounterVec // member messages, by channel
	MessagesOut   *prometheus.CounterVec // bot, agent and system messages, by channel
	TurnSeconds   prometheus.Histogram
	WorkOrders    *prometheus.CounterVec // issued, by kind
	Verifications *prometheus.CounterVec // outcomes: sent, too_soon, limited, locked, ok, wrong, expired
	Errors        *prometheus.CounterVec // by where
	Waiting       prometheus.GaugeFunc   // members waiting for a person
	Claims        *prometheus.CounterVec // conversations claimed, by agent
	TimeToClaim   prometheus.Histogram   // from asking for a person to a claim
	Reminders     prometheus.Counter     // renewal reminders sent
}

func newMetrics(live, waiting func() float64) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Conversations: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "kefu_conversations_active", Help: "Conversations loaded in memory."}, live),
		Connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kefu_connections", Help: "Open member connections by channel."}, []string{"channel"}),
		MessagesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kefu_messages_in_total", Help: "Member messages received by channel."}, []string{"channel"}),
		MessagesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kefu_messages_out_total", Help: "Messages sent to members by channel."}, []string{"channel"}),
		TurnSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "kefu_turn_seconds", Help: "Time to run and store one conversation turn.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .5, 1}}),
		WorkOrders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kefu_work_orders_total", Help: "Work orders issued by kind."}, []string{"kind"}),
		Verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kefu_verifications_total", Help: "Verification outcomes."}, []string{"outcome"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kefu_errors_total", Help: "Errors by where they happened."}, []string{"where"}),
		Waiting: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "kefu_handoff_waiting", Help: "Members waiting for a person."}, waiting),
		Claims: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kefu_handoff_claims_total", Help: "Conversations claimed by agent."}, []string{"agent"}),
		TimeToClaim: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "kefu_handoff_time_to_claim_seconds", Help: "From asking for a person to an agent's claim.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 14)}),
		Reminders: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kefu_renewal_reminders_total", Help: "Renewal reminders sent (once per member and renewal)."}),
	}
	m.Registry.MustRegister(m.Conversations, m.Connections, m.MessagesIn, m.MessagesOut, m.TurnSeconds,
		m.WorkOrders, m.Verifications, m.Errors, m.Waiting, m.Claims, m.TimeToClaim, m.Reminders,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

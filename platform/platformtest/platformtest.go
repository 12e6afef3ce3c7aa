// Package platformtest is a reference platform for tests: the member API
// and the notification receiver of README's contracts, in memory, with
// failures on demand.
package platformtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/kefu-dev/kefu/dialog"
)

// Token is the bearer token the fake member API accepts.
const Token = "platform-test-token"

// MemberAPI is a fake member API. Its zero value is not usable; use
// NewMemberAPI.
type MemberAPI struct {
	*httptest.Server

	mu       sync.Mutex
	members  map[string]dialog.Member
	applied  map[string]outcome // by idempotency key
	keyPath  map[string]string  // idempotency key → the request it was first used for
	keyTries map[string]int     // idempotency key → action requests that carried it
	actions  map[string]int     // member ID → actions carried out
	requests int
	fail     int           // the next fail requests answer 503
	delay    time.Duration // every request waits this long first
	down     bool          // every request answers 503
	lose     int           // the next lose actions are carried out, but answered 503
	hold     chan struct{} // non-nil: requests wait until it is closed
	held     chan struct{} // gets a value each time a request starts waiting
}

type outcome struct {
	EffectiveAt time.Time `json:"effective_at"`
	RefundCents int64     `json:"refund_cents"`
	AutoRenew   bool      `json:"auto_renew"`
}

// NewMemberAPI starts a fake member API holding members; now dates the
// actions it carries out.
func NewMemberAPI(members []dialog.Member, now func() time.Time) *MemberAPI {
	a := &MemberAPI{members: map[string]dialog.Member{}, applied: map[string]outcome{}, actions: map[string]int{},
		keyPath: map[string]string{}, keyTries: map[string]int{}}
	for _, m := range members {
		a.members[m.ID] = m
	}
	a.Server = httptest.NewServer(a.handler(now))
	return a
}

// Fail makes the next n requests answer 503.
func (a *MemberAPI) Fail(n int) { a.mu.Lock(); a.fail = n; a.mu.Unlock() }

// Down makes every request answer 503 until Down(false).
func (a *MemberAPI) Down(down bool) { a.mu.Lock(); a.down = down; a.mu.Unlock() }

// LoseAnswers makes the next n actions happen but answer 503, as when an
// answer is lost on the way back: the client retries the same key.
func (a *MemberAPI) LoseAnswers(n int) { a.mu.Lock(); a.lose = n; a.mu.Unlock() }

// Delay makes every request wait d before it is handled.
func (a *MemberAPI) Delay(d time.Duration) { a.mu.Lock(); a.delay = d; a.mu.Unlock() }

// Hold makes requests wait until release is called; held receives a value
// as each request starts waiting, so a test knows a request is in flight
// without sleeping.
func (a *MemberAPI) Hold() (held <-chan struct{}, release func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.hold, a.held = make(chan struct{}), make(chan struct{}, 100)
	hold := a.hold
	var once sync.Once
	return a.held, func() {
		once.Do(func() {
			a.mu.Lock()
			a.hold = nil
			a.mu.Unlock()
			close(hold)
		})
	}
}

// Requests is how many requests reached the API.
func (a *MemberAPI) Requests() int { a.mu.Lock(); defer a.mu.Unlock(); return a.requests }

// Actions is how many cancellations and auto-renew changes were carried
// out for a member (a repeated idempotency key does not count again).
func (a *MemberAPI) Actions(memberID string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.actions[memberID]
}

// KeyRequests is how many action requests carried the idempotency key:
// retries and duplicate deliveries included.
func (a *MemberAPI) KeyRequests(key string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.keyTries[key]
}

// Member returns a member as the platform holds it now.
func (a *MemberAPI) Member(id string) dialog.Member {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.members[id]
}

func (a *MemberAPI) handler(now func() time.Time) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /members", func(w http.ResponseWriter, r *http.Request) {
		phone, email := r.URL.Query().Get("phone"), strings.ToLower(r.URL.Query().Get("email"))
		a.mu.Lock()
		defer a.mu.Unlock()
		for _, m := range a.members {
			if phone != "" && m.Phone == phone || email != "" && m.Email == email {
				writeJSON(w, http.StatusOK, memberJSON(m))
				return
			}
		}
		writeJSON(w, http.StatusNotFound, apiError("not_found"))
	})
	mux.HandleFunc("GET /members/{id}", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		m, ok := a.members[r.PathValue("id")]
		if !ok {
			writeJSON(w, http.StatusNotFound, apiError("not_found"))
			return
		}
		writeJSON(w, http.StatusOK, memberJSON(m))
	})
	act := func(kind dialog.OrderKind) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			key := r.Header.Get("Idempotency-Key")
			if key == "" {
				writeJSON(w, http.StatusBadRequest, apiError("idempotency_key_required"))
				return
			}
			a.mu.Lock()
			defer a.mu.Unlock()
			a.keyTries[key]++
			if p, ok := a.keyPath[key]; ok && p != r.URL.Path {
				writeJSON(w, http.StatusUnprocessableEntity, apiError("idempotency_key_reused"))
				return
			}
			a.keyPath[key] = r.URL.Path
			if o, ok := a.applied[key]; ok {
				writeJSON(w, http.StatusOK, o)
				return
			}
			m, ok := a.members[r.PathValue("id")]
			if !ok {
				writeJSON(w, http.StatusNotFound, apiError("not_found"))
				return
			}
			t := now()
			if m.StatusAt(t) != dialog.StatusActive {
				writeJSON(w, http.StatusConflict, apiError("not_active"))
				return
			}
			var o outcome
			if kind == dialog.KindCancelNow {
				o = outcome{EffectiveAt: t, RefundCents: dialog.Refund(m, t)}
				m.Status, m.PeriodEnd = dialog.StatusCancelled, t
			} else {
				o = outcome{EffectiveAt: m.PeriodEnd}
			}
			m.AutoRenew = false
			a.members[m.ID] = m
			a.applied[key] = o
			a.actions[m.ID]++
			if a.lose > 0 {
				a.lose--
				writeJSON(w, http.StatusServiceUnavailable, apiError("unavailable"))
				return
			}
			writeJSON(w, http.StatusOK, o)
		}
	}
	mux.HandleFunc("POST /members/{id}/cancel", act(dialog.KindCancelNow))
	mux.HandleFunc("POST /members/{id}/auto-renew/off", act(dialog.KindNoRenew))
	mux.HandleFunc("GET /renewals", func(w http.ResponseWriter, r *http.Request) {
		from, err1 := time.Parse(time.RFC3339, r.URL.Query().Get("from"))
		to, err2 := time.Parse(time.RFC3339, r.URL.Query().Get("to"))
		if err1 != nil || err2 != nil {
			writeJSON(w, http.StatusBadRequest, apiError("bad_window"))
			return
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		list := []any{}
		for _, m := range a.members {
			if m.Status == dialog.StatusActive && m.AutoRenew && !m.PeriodEnd.Before(from) && m.PeriodEnd.Before(to) {
				list = append(list, memberJSON(m))
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"members": list})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.requests++
		delay, down, hold, held := a.delay, a.down, a.hold, a.held
		failing := a.fail > 0
		if failing {
			a.fail--
		}
		a.mu.Unlock()
		if hold != nil {
			select {
			case held <- struct{}{}:
			default:
			}
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		if delay > 0 {
			select {
			case <-time.After(delay): // the platform is slow
			case <-r.Context().Done():
				return
			}
		}
		if r.Header.Get("Authorization") != "Bearer "+Token {
			writeJSON(w, http.StatusUnauthorized, apiError("unauthorized"))
			return
		}
		if down || failing {
			writeJSON(w, http.StatusServiceUnavailable, apiError("unavailable"))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// memberJSON is a member in the contract's JSON.
func memberJSON(m dialog.Member) map[string]any {
	out := map[string]any{
		"id": m.ID, "phone": m.Phone, "email": m.Email, "registered_at": m.RegisteredAt,
		"plan": map[string]any{"code": m.Plan.Code, "price_cents": m.Plan.PriceCents,
			"refund_policy": m.Plan.Policy, "cooling_off_days": m.Plan.CoolingOffDays},
		"status": m.Status, "period_start": m.PeriodStart, "period_end": m.PeriodEnd, "auto_renew": m.AutoRenew,
	}
	if !m.LastOrder.At.IsZero() {
		out["last_order"] = map[string]any{"amount_cents": m.LastOrder.AmountCents, "at": m.LastOrder.At}
	}
	return out
}

func apiError(code string) map[string]any {
	return map[string]any{"error": map[string]string{"code": code}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

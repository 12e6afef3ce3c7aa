// Package ratelimit is kefu's keyed token buckets: one limit for many
// senders (conversations, client addresses, Telegram users).
package ratelimit

import (
	"sync"
	"time"
)

// Limiter is a set of token buckets keyed by anything (a conversation, an IP
// address, a Telegram user): rate tokens a second, up to burst. A zero rate
// allows everything. Idle buckets are forgotten. Safe for concurrent use.
type Limiter struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens  float64
	at      time.Time
	refused bool // the last event was refused: a flood is on
}

// New returns a limiter of rate events a second with the given burst.
func New(rate float64, burst int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// Allow takes one token from key's bucket and reports whether there was one.
func (l *Limiter) Allow(key string) bool {
	ok, _, _ := l.Take(key)
	return ok
}

// Take is Allow that, when it refuses, also says how long until the next
// token and whether this is the first refusal since key's last allowed
// event (the start of a flood), so a caller can tell a member once per
// flood rather than once per dropped message.
func (l *Limiter) Take(key string) (ok bool, wait time.Duration, first bool) {
	if l == nil || l.rate <= 0 {
		return true, 0, false
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b, found := l.buckets[key]
	if !found {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens < 1 {
		first, b.refused = !b.refused, true
		return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), first
	}
	b.tokens--
	b.refused = false
	return true, 0, false
}

// Refund gives back the token key's last allowed event took, for an event
// that another limit refused after this one allowed it.
func (l *Limiter) Refund(key string) {
	if l == nil || l.rate <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.buckets[key]; ok {
		b.tokens = min(l.burst, b.tokens+1)
	}
}

// sweep drops buckets that have refilled completely, at most once a minute,
// so memory follows the number of active keys.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.at) > full {
			delete(l.buckets, k)
		}
	}
}

package bot

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	mathrand "math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kefu-dev/kefu/store"

	"github.com/kefu-dev/kefu/dialog"
)

// VerificationRules are the verification limits of DESIGN §2.
type VerificationRules struct {
	CodeDigits      int           // length of a code
	CodeTTL         time.Duration // how long a code is valid
	MaxTries        int           // wrong answers before the account locks
	LockFor         time.Duration // how long it stays locked
	ResendAfter     time.Duration // least time between two sends
	MaxSendsPerHour int           // sends in any hour

	// Limits per source (a client address, a Telegram user: see
	// WithSource) whatever the accounts, so that one source cannot spread
	// its guesses or its SMS over many accounts. 0: no limit.
	MaxSendsPerSource int // codes sent in any hour
	MaxWrongPerSource int // wrong codes or answers in any hour
}

// DefaultVerificationRules returns DESIGN §2's defaults: 6 digits, valid 5
// minutes, 5 wrong tries lock for 15 minutes, resend after 60 s, 5 sends an
// hour; and per source 10 sends and 20 wrong tries an hour.
func DefaultVerificationRules() VerificationRules {
	return VerificationRules{
		CodeDigits: 6, CodeTTL: 5 * time.Minute, MaxTries: 5, LockFor: 15 * time.Minute,
		ResendAfter: 60 * time.Second, MaxSendsPerHour: 5,
		MaxSendsPerSource: 10, MaxWrongPerSource: 20,
	}
}

// sourceCtxKey is the context key of WithSource.
type sourceCtxKey struct{}

// WithSource returns ctx carrying where a member's request comes from, as a
// channel knows it: "ip:203.0.113.7", "telegram:12345". Channels set it on
// the context of Handle and Start; verification limits count per source as
// well as per account. Requests without a source are limited per account
// only.
func WithSource(ctx context.Context, source string) context.Context {
	return context.WithValue(ctx, sourceCtxKey{}, source)
}

// SourceOf returns the source WithSource put in ctx, or "".
func SourceOf(ctx context.Context) string {
	s, _ := ctx.Value(sourceCtxKey{}).(string)
	return s
}

// Verification is kefu's dialog.Verifier: one-time codes by SMS or email and
// security questions, with tries, locks and send limits counted per account
// (the member, whichever of their phone or email was given; or the
// identifier itself when it is not registered), so a new conversation does
// not reset them, and per source (SourceOf the context), so one client cannot
// spread its attempts over many accounts. Only an HMAC of a code is stored,
// and only an HMAC of a source. It is safe for concurrent use.
type Verification struct {
	db       store.DB
	members  dialog.Members
	notifier Notifier
	rules    VerificationRules
	secret   []byte
	loc      *time.Location
	now      func() time.Time
	random   io.Reader // source of codes; tests replace it
	sends    sendTimes
	pause    func(ctx context.Context, d time.Duration) // an unregistered account's "send"; tests replace it
}

var _ dialog.Verifier = (*Verification)(nil)

// NewVerification returns a verifier keeping its counters in db (the State
// database), finding accounts in members and delivering codes through
// notifier. secret keys the stored code MACs; loc is the time zone of the
// registration month; now is the clock (nil: time.Now).
func NewVerification(db store.DB, members dialog.Members, notifier Notifier, rules VerificationRules, secret []byte, loc *time.Location, now func() time.Time) *Verification {
	if now == nil {
		now = time.Now
	}
	if loc == nil {
		loc = time.UTC
	}
	return &Verification{
		db: db, members: members, notifier: notifier, rules: rules,
		secret: secret, loc: loc, now: now, random: rand.Reader, pause: pause,
	}
}

// verifyRecord is one account's verification state.
type verifyRecord struct {
	Tries       int         `json:"tries,omitempty"`
	LockedUntil time.Time   `json:"locked_until,omitzero"`
	Sends       []time.Time `json:"sends,omitempty"` // within the last hour
	LastSend    time.Time   `json:"last_send,omitzero"`
	CodeMAC     []byte      `json:"code_mac,omitempty"`
	CodeExpires time.Time   `json:"code_expires,omitzero"`
	// An agent's wrong answers count on their own (AgentMaxTries), so a
	// member locked out can still be verified by a person.
	AgentTries       int       `json:"agent_tries,omitempty"`
	AgentLockedUntil time.Time `json:"agent_locked_until,omitzero"`
}

// AgentMaxTries is how many wrong answers agents may give for one account
// before agents too must wait LockFor.
const AgentMaxTries = 3

// sourceRecord is what one source did within the last hour.
type sourceRecord struct {
	Sends []time.Time `json:"sends,omitempty"`
	Wrong []time.Time `json:"wrong,omitempty"`
}

// sourceKey is the database key of a source's record; "" for no source.
func (v *Verification) sourceKey(ctx context.Context) string {
	src := SourceOf(ctx)
	if src == "" {
		return ""
	}
	mac := hmac.New(sha256.New, v.secret)
	mac.Write([]byte("source|" + src))
	return verifyPrefix + "source/" + hex.EncodeToString(mac.Sum(nil)[:16])
}

// overLimit reports whether a source used up limit events within the hour,
// and how long until the one that counts leaves it.
func overLimit(events []time.Time, limit int, now time.Time) (bool, time.Duration) {
	if limit <= 0 || len(events) < limit {
		return false, 0
	}
	return true, events[len(events)-limit].Add(time.Hour).Sub(now)
}

// account is who a verification counts against.
type account struct {
	key    string // the database key of its verifyRecord
	member dialog.Member
	known  bool
}

func (v *Verification) account(ctx context.Context, id string) (account, error) {
	m, found, err := v.members.Lookup(ctx, id)
	if err != nil {
		return account{}, err
	}
	if found {
		return account{key: verifyPrefix + "member/" + m.ID, member: m, known: true}, nil
	}
	// Identifiers that belong to nobody are kept only as a MAC, so the store
	// does not collect strangers' phone numbers.
	mac := hmac.New(sha256.New, v.secret)
	mac.Write([]byte("account|" + id))
	return account{key: verifyPrefix + "other/" + hex.EncodeToString(mac.Sum(nil)[:16])}, nil
}

// SendCode sends a new code to the account's phone (dialog.MethodSMS) or
// email (dialog.MethodEmail), unless it is locked, asked too soon, or over
// the hourly limit. An account that is not registered gets the same answers
// and the same counting, as late as a recent real send, and nothing is
// delivered.
func (v *Verification) SendCode(ctx context.Context, req dialog.CodeRequest) (dialog.SendResult, error) {
	if req.Method != dialog.MethodSMS && req.Method != dialog.MethodEmail {
		return dialog.SendResult{}, fmt.Errorf("send code: method %q", req.Method)
	}
	acct, err := v.account(ctx, req.Account)
	if err != nil {
		return dialog.SendResult{}, fmt.Errorf("send code: %w", err)
	}
	var res dialog.SendResult
	var code string
	var sentAt, lastSend time.Time
	err = v.update(ctx, acct.key, v.sourceKey(ctx), func(r *verifyRecord, src *sourceRecord, now time.Time) error {
		code = ""
		srcFull, srcWait := overLimit(src.Sends, v.rules.MaxSendsPerSource, now)
		switch {
		case now.Before(r.LockedUntil):
			res = dialog.SendResult{Status: dialog.SendLocked, Wait: r.LockedUntil.Sub(now)}
		case !r.LastSend.IsZero() && now.Sub(r.LastSend) < v.rules.ResendAfter:
			res = dialog.SendResult{Status: dialog.SendTooSoon, Wait: r.LastSend.Add(v.rules.ResendAfter).Sub(now)}
		case len(r.Sends) >= v.rules.MaxSendsPerHour:
			res = dialog.SendResult{Status: dialog.SendLimited, Wait: r.Sends[0].Add(time.Hour).Sub(now)}
		case srcFull:
			res = dialog.SendResult{Status: dialog.SendLimited, Wait: srcWait}
		default:
			// Unregistered accounts get a code too, one nobody ever sees:
			// checking it then takes the same path as for a member.
			c, err := v.newCode()
			if err != nil {
				return err
			}
			code, sentAt, lastSend = c, now, r.LastSend
			r.CodeMAC = v.codeMAC(acct.key, c)
			r.CodeExpires = now.Add(v.rules.CodeTTL)
			r.LastSend = now
			r.Sends = append(r.Sends, now)
			src.Sends = append(src.Sends, now)
			res = dialog.SendResult{Status: dialog.SendSent}
		}
		return nil
	})
	if err != nil {
		return dialog.SendResult{}, fmt.Errorf("send code: %w", err)
	}
	if code == "" || v.notifier == nil {
		return res, nil
	}
	if !acct.known {
		// Answer when a real send would have: a reply that comes at once
		// would tell that nobody is registered under the account.
		v.pause(ctx, v.sends.sample())
		return res, nil
	}
	// The method decides where the code goes, whichever identifier the
	// member gave; a member without that destination gets the other.
	to, method := acct.member.Phone, dialog.MethodSMS
	alt, altMethod := acct.member.Email, dialog.MethodEmail
	if req.Method == dialog.MethodEmail {
		to, method, alt, altMethod = alt, altMethod, to, method
	}
	if to == "" {
		to, method = alt, altMethod
	}
	n := Notice{Kind: NoticeCode, Method: method, To: to, Code: code, Lang: req.Lang, Conv: req.Conv, Channel: req.Channel}
	start := v.now()
	if err := v.notifier.Notify(ctx, n); err != nil {
		err = fmt.Errorf("%w: deliver code to %s: %w", dialog.ErrUnavailable, dialog.MaskAccount(to), err)
		return dialog.SendResult{}, errors.Join(err, v.allowResend(ctx, acct.key, sentAt, lastSend))
	}
	v.sends.add(v.now().Sub(start))
	return res, nil
}

// sendTimes keeps how long the latest code sends took, for unregistered
// accounts to take as long.
type sendTimes struct {
	mu   sync.Mutex
	last [32]time.Duration
	n    int // sends recorded, up to len(last)
	next int
}

func (s *sendTimes) add(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last[s.next] = d
	s.next = (s.next + 1) % len(s.last)
	s.n = min(s.n+1, len(s.last))
}

// sample is one of the latest send times, picked at random; 0 before any.
func (s *sendTimes) sample() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return 0
	}
	return s.last[mathrand.IntN(s.n)]
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// allowResend lifts the resend wait the send at sentAt started, since the
// SMS/email service did not accept it: the member may ask again at once.
// The send still counts towards the hourly limits, which stop a flood of
// codes to someone's phone even through a service that delivers and
// answers with an error; and the code stays valid, in case it arrived.
func (v *Verification) allowResend(ctx context.Context, key string, sentAt, lastSend time.Time) error {
	err := v.update(ctx, key, "", func(r *verifyRecord, _ *sourceRecord, _ time.Time) error {
		if r.LastSend.Equal(sentAt) {
			r.LastSend = lastSend
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("lift the resend wait: %w", err)
	}
	return nil
}

// CheckCode checks a code against the last one sent to the account. A right
// code passes once; a wrong one counts towards the lock.
func (v *Verification) CheckCode(ctx context.Context, id, code string) (dialog.CheckResult, error) {
	acct, err := v.account(ctx, id)
	if err != nil {
		return dialog.CheckResult{}, fmt.Errorf("check code: %w", err)
	}
	code = strings.TrimSpace(code)
	var res dialog.CheckResult
	err = v.update(ctx, acct.key, v.sourceKey(ctx), func(r *verifyRecord, src *sourceRecord, now time.Time) error {
		srcFull, srcWait := overLimit(src.Wrong, v.rules.MaxWrongPerSource, now)
		switch {
		case now.Before(r.LockedUntil):
			res = dialog.CheckResult{Status: dialog.CheckLocked, Wait: r.LockedUntil.Sub(now)}
		case srcFull:
			res = dialog.CheckResult{Status: dialog.CheckLocked, Wait: srcWait}
		case r.CodeMAC == nil || !now.Before(r.CodeExpires):
			res = dialog.CheckResult{Status: dialog.CheckExpired}
		default:
			ok := hmac.Equal(r.CodeMAC, v.codeMAC(acct.key, code))
			res = v.judge(r, src, now, ok && acct.known, acct.member.ID)
		}
		return nil
	})
	if err != nil {
		return dialog.CheckResult{}, fmt.Errorf("check code: %w", err)
	}
	return res, nil
}

// CheckAnswers checks the security questions: the amount of the member's
// most recent order in fen and their registration month (1–12, in the
// verifier's time zone). Wrong answers count towards the same lock as wrong
// codes.
func (v *Verification) CheckAnswers(ctx context.Context, id string, amountCents int64, month int) (dialog.CheckResult, error) {
	acct, err := v.account(ctx, id)
	if err != nil {
		return dialog.CheckResult{}, fmt.Errorf("check answers: %w", err)
	}
	ok := v.answersMatch(acct, amountCents, month)
	var res dialog.CheckResult
	err = v.update(ctx, acct.key, v.sourceKey(ctx), func(r *verifyRecord, src *sourceRecord, now time.Time) error {
		if now.Before(r.LockedUntil) {
			res = dialog.CheckResult{Status: dialog.CheckLocked, Wait: r.LockedUntil.Sub(now)}
			return nil
		}
		if srcFull, srcWait := overLimit(src.Wrong, v.rules.MaxWrongPerSource, now); srcFull {
			res = dialog.CheckResult{Status: dialog.CheckLocked, Wait: srcWait}
			return nil
		}
		res = v.judge(r, src, now, ok, acct.member.ID)
		return nil
	})
	if err != nil {
		return dialog.CheckResult{}, fmt.Errorf("check answers: %w", err)
	}
	return res, nil
}

// answersMatch tells whether the security answers are the account's: the
// amount of its most recent order in fen and its registration month. An
// unregistered account, or one without both, never matches.
func (v *Verification) answersMatch(acct account, amountCents int64, month int) bool {
	m := acct.member
	return acct.known && m.LastOrder.AmountCents > 0 && !m.RegisteredAt.IsZero() &&
		amountCents == m.LastOrder.AmountCents && month == int(m.RegisteredAt.In(v.loc).Month())
}

// judge records one answer in r: a right one clears the tries and the code,
// a wrong one counts (for the source too) and at MaxTries locks the account.
func (v *Verification) judge(r *verifyRecord, src *sourceRecord, now time.Time, ok bool, memberID string) dialog.CheckResult {
	if ok {
		r.Tries, r.CodeMAC, r.CodeExpires = 0, nil, time.Time{}
		return dialog.CheckResult{Status: dialog.CheckOK, MemberID: memberID}
	}
	src.Wrong = append(src.Wrong, now)
	r.Tries++
	if r.Tries >= v.rules.MaxTries {
		r.Tries, r.CodeMAC, r.CodeExpires = 0, nil, time.Time{}
		r.LockedUntil = now.Add(v.rules.LockFor)
		return dialog.CheckResult{Status: dialog.CheckLocked, Wait: v.rules.LockFor}
	}
	return dialog.CheckResult{Status: dialog.CheckWrong, Remaining: v.rules.MaxTries - r.Tries}
}

// update runs fn on the account's record and the source's (srcKey "": a
// record that is not kept) in one transaction (retried on conflict) and
// writes them back. Records expire from the database once every counter in
// them has lapsed.
func (v *Verification) update(ctx context.Context, key, srcKey string, fn func(r *verifyRecord, src *sourceRecord, now time.Time) error) error {
	ttl := time.Hour + v.rules.LockFor + v.rules.CodeTTL + v.rules.ResendAfter
	return v.db.Update(ctx, func(txn store.Txn) error {
		var r verifyRecord
		var src sourceRecord
		if _, err := getJSON(txn, []byte(key), &r); err != nil {
			return err
		}
		if srcKey != "" {
			if _, err := getJSON(txn, []byte(srcKey), &src); err != nil {
				return err
			}
		}
		now := v.now()
		r.Sends = withinHour(r.Sends, now)
		src.Sends, src.Wrong = withinHour(src.Sends, now), withinHour(src.Wrong, now)
		before := len(src.Sends) + len(src.Wrong)
		if err := fn(&r, &src, now); err != nil {
			return err
		}
		if err := setEntryJSON(txn, key, r, ttl); err != nil {
			return err
		}
		if srcKey == "" || len(src.Sends)+len(src.Wrong) == before {
			return nil // nothing new for the source: no write, fewer conflicts
		}
		return setEntryJSON(txn, srcKey, src, time.Hour)
	})
}

// withinHour drops the times an hour or more before now (oldest first).
func withinHour(ts []time.Time, now time.Time) []time.Time {
	for len(ts) > 0 && !now.Before(ts[0].Add(time.Hour)) {
		ts = ts[1:]
	}
	return ts
}

func setEntryJSON(txn store.Txn, key string, v any, ttl time.Duration) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.SetTTL([]byte(key), b, ttl)
}

// newCode draws a uniform code of CodeDigits digits.
func (v *Verification) newCode() (string, error) {
	max := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(v.rules.CodeDigits)), nil)
	n, err := rand.Int(v.random, max)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%0*d", v.rules.CodeDigits, n), nil
}

// codeMAC is what is stored of a code: HMAC-SHA256(secret, key|code).
func (v *Verification) codeMAC(key, code string) []byte {
	mac := hmac.New(sha256.New, v.secret)
	mac.Write([]byte(key + "|" + code))
	return mac.Sum(nil)
}

// CheckAnswersForAgent is CheckAnswers for an agent who asked the member
// the security questions: the member's own lock does not apply, agents'
// wrong answers count apart (AgentMaxTries, then LockFor), and every
// attempt is recorded with the agent's name.
func (v *Verification) CheckAnswersForAgent(ctx context.Context, id string, amountCents int64, month int, agent string) (dialog.CheckResult, error) {
	acct, err := v.account(ctx, id)
	if err != nil {
		return dialog.CheckResult{}, fmt.Errorf("agent check answers: %w", err)
	}
	ok := v.answersMatch(acct, amountCents, month)
	var res dialog.CheckResult
	err = v.update(ctx, acct.key, "", func(r *verifyRecord, _ *sourceRecord, now time.Time) error {
		switch {
		case now.Before(r.AgentLockedUntil):
			res = dialog.CheckResult{Status: dialog.CheckLocked, Wait: r.AgentLockedUntil.Sub(now)}
		case ok:
			r.AgentTries = 0
			res = dialog.CheckResult{Status: dialog.CheckOK, MemberID: acct.member.ID}
		default:
			r.AgentTries++
			res = dialog.CheckResult{Status: dialog.CheckWrong, Remaining: AgentMaxTries - r.AgentTries}
			if r.AgentTries >= AgentMaxTries {
				r.AgentTries, r.AgentLockedUntil = 0, now.Add(v.rules.LockFor)
				res = dialog.CheckResult{Status: dialog.CheckLocked, Wait: v.rules.LockFor}
			}
		}
		return nil
	})
	if err != nil {
		return dialog.CheckResult{}, fmt.Errorf("agent check answers: %w", err)
	}
	if err := v.audit(ctx, agent, id, "questions", string(res.Status)); err != nil {
		return dialog.CheckResult{}, err
	}
	return res, nil
}

// agentAttempt is the record of one agent's verification attempt.
type agentAttempt struct {
	Agent   string    `json:"agent"`
	Account string    `json:"account"`          // masked
	Method  string    `json:"method,omitempty"` // questions, sms, email (a code sent), code (one typed)
	Result  string    `json:"result"`
	At      time.Time `json:"at"`
}

// audit records an agent's attempt to verify account (stored masked).
func (v *Verification) audit(ctx context.Context, agent, account, method, result string) error {
	a := agentAttempt{Agent: agent, Account: dialog.MaskAccount(account), Method: method, Result: result, At: v.now()}
	err := v.db.Update(ctx, func(txn store.Txn) error {
		return setJSON(txn, []byte(verifyAuditPrefix+strconv.FormatInt(a.At.UnixMilli(), 10)+"/"+newID()), a)
	})
	if err != nil {
		return fmt.Errorf("record an agent's verification: %w", err)
	}
	return nil
}

package bot

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

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
}

// DefaultVerificationRules returns DESIGN §2's defaults: 6 digits, valid 5
// minutes, 5 wrong tries lock for 15 minutes, resend after 60 s, 5 sends an
// hour.
func DefaultVerificationRules() VerificationRules {
	return VerificationRules{
		CodeDigits: 6, CodeTTL: 5 * time.Minute, MaxTries: 5, LockFor: 15 * time.Minute,
		ResendAfter: 60 * time.Second, MaxSendsPerHour: 5,
	}
}

// verifyPrefix + account key → verifyRecord (JSON), in the State database.
const verifyPrefix = "verify/"

// Verification is kefu's dialog.Verifier: one-time codes by SMS or email and
// security questions, with tries, locks and send limits counted per account
// (the member, whichever of their phone or email was given; or the
// identifier itself when it is not registered), so a new conversation does
// not reset them. Only an HMAC of a code is stored. It is safe for concurrent
// use.
type Verification struct {
	db       *badger.DB
	members  dialog.Members
	notifier Notifier
	rules    VerificationRules
	secret   []byte
	loc      *time.Location
	now      func() time.Time
	random   io.Reader // source of codes; tests replace it
}

var _ dialog.Verifier = (*Verification)(nil)

// NewVerification returns a verifier keeping its counters in db (the State
// database), finding accounts in members and delivering codes through
// notifier. secret keys the stored code MACs; loc is the time zone of the
// registration month; now is the clock (nil: time.Now).
func NewVerification(db *badger.DB, members dialog.Members, notifier Notifier, rules VerificationRules, secret []byte, loc *time.Location, now func() time.Time) *Verification {
	if now == nil {
		now = time.Now
	}
	if loc == nil {
		loc = time.UTC
	}
	return &Verification{
		db: db, members: members, notifier: notifier, rules: rules,
		secret: secret, loc: loc, now: now, random: rand.Reader,
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
// and the same counting, and nothing is delivered.
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
	err = v.update(acct.key, func(r *verifyRecord, now time.Time) error {
		code = ""
		switch {
		case now.Before(r.LockedUntil):
			res = dialog.SendResult{Status: dialog.SendLocked, Wait: r.LockedUntil.Sub(now)}
		case !r.LastSend.IsZero() && now.Sub(r.LastSend) < v.rules.ResendAfter:
			res = dialog.SendResult{Status: dialog.SendTooSoon, Wait: r.LastSend.Add(v.rules.ResendAfter).Sub(now)}
		case len(r.Sends) >= v.rules.MaxSendsPerHour:
			res = dialog.SendResult{Status: dialog.SendLimited, Wait: r.Sends[0].Add(time.Hour).Sub(now)}
		default:
			// Unregistered accounts get a code too, one nobody ever sees:
			// checking it then takes the same path as for a member.
			c, err := v.newCode()
			if err != nil {
				return err
			}
			code = c
			r.CodeMAC = v.codeMAC(acct.key, c)
			r.CodeExpires = now.Add(v.rules.CodeTTL)
			r.LastSend = now
			r.Sends = append(r.Sends, now)
			res = dialog.SendResult{Status: dialog.SendSent}
		}
		return nil
	})
	if err != nil {
		return dialog.SendResult{}, fmt.Errorf("send code: %w", err)
	}
	if code == "" || !acct.known || v.notifier == nil {
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
	n := Notice{Kind: NoticeCode, Method: method, To: to, Code: code, Lang: req.Lang, Conv: req.Conv, Chan: req.Chan}
	if err := v.notifier.Notify(ctx, n); err != nil {
		return dialog.SendResult{}, fmt.Errorf("%w: deliver code to %s: %w", dialog.ErrUnavailable, dialog.MaskAccount(to), err)
	}
	return res, nil
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
	err = v.update(acct.key, func(r *verifyRecord, now time.Time) error {
		switch {
		case now.Before(r.LockedUntil):
			res = dialog.CheckResult{Status: dialog.CheckLocked, Wait: r.LockedUntil.Sub(now)}
		case r.CodeMAC == nil || !now.Before(r.CodeExpires):
			res = dialog.CheckResult{Status: dialog.CheckExpired}
		default:
			ok := hmac.Equal(r.CodeMAC, v.codeMAC(acct.key, code))
			res = v.judge(r, now, ok && acct.known, acct.member.ID)
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
	m := acct.member
	ok := acct.known && m.LastOrder.AmountCents > 0 && !m.RegisteredAt.IsZero() &&
		amountCents == m.LastOrder.AmountCents && month == int(m.RegisteredAt.In(v.loc).Month())
	var res dialog.CheckResult
	err = v.update(acct.key, func(r *verifyRecord, now time.Time) error {
		if now.Before(r.LockedUntil) {
			res = dialog.CheckResult{Status: dialog.CheckLocked, Wait: r.LockedUntil.Sub(now)}
			return nil
		}
		res = v.judge(r, now, ok, m.ID)
		return nil
	})
	if err != nil {
		return dialog.CheckResult{}, fmt.Errorf("check answers: %w", err)
	}
	return res, nil
}

// judge records one answer in r: a right one clears the tries and the code,
// a wrong one counts and at MaxTries locks the account.
func (v *Verification) judge(r *verifyRecord, now time.Time, ok bool, memberID string) dialog.CheckResult {
	if ok {
		r.Tries, r.CodeMAC, r.CodeExpires = 0, nil, time.Time{}
		return dialog.CheckResult{Status: dialog.CheckOK, MemberID: memberID}
	}
	r.Tries++
	if r.Tries >= v.rules.MaxTries {
		r.Tries, r.CodeMAC, r.CodeExpires = 0, nil, time.Time{}
		r.LockedUntil = now.Add(v.rules.LockFor)
		return dialog.CheckResult{Status: dialog.CheckLocked, Wait: v.rules.LockFor}
	}
	return dialog.CheckResult{Status: dialog.CheckWrong, Remaining: v.rules.MaxTries - r.Tries}
}

// update runs fn on the account's record in a transaction (retried on
// conflict) and writes it back. Records expire from the database once every
// counter in them has lapsed.
func (v *Verification) update(key string, fn func(r *verifyRecord, now time.Time) error) error {
	ttl := time.Hour + v.rules.LockFor + v.rules.CodeTTL + v.rules.ResendAfter
	return update(v.db, func(txn *badger.Txn) error {
		var r verifyRecord
		if _, err := getJSON(txn, []byte(key), &r); err != nil {
			return err
		}
		now := v.now()
		for len(r.Sends) > 0 && !now.Before(r.Sends[0].Add(time.Hour)) {
			r.Sends = r.Sends[1:]
		}
		if err := fn(&r, now); err != nil {
			return err
		}
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return txn.SetEntry(badger.NewEntry([]byte(key), b).WithTTL(ttl))
	})
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

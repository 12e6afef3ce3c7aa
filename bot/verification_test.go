package bot

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kefu-dev/kefu/dialog"
)

// verifier is a Verification on a fresh store with the demo members, a
// settable clock and captured notices.
type verifier struct {
	*Verification
	store *Store
	clock *clock
	sent  *notices
}

func newVerifier(t *testing.T) verifier {
	t.Helper()
	s := openTestStore(t, t.TempDir())
	members := seededMembers(t, s, 0)
	secret, err := s.Secret("verification")
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: testNow}
	sent := &notices{}
	v := NewVerification(s.State, members, sent, DefaultVerificationRules(), secret, shanghai, c.now)
	return verifier{Verification: v, store: s, clock: c, sent: sent}
}

// send asks for a code and returns the one delivered.
func (v verifier) send(t *testing.T, account string, method dialog.Method) string {
	t.Helper()
	before := len(v.sent.list())
	res, err := v.SendCode(context.Background(), dialog.CodeRequest{Account: account, Method: method, Lang: dialog.EN, Conv: "c1", Chan: "web"})
	if err != nil || res.Status != dialog.SendSent {
		t.Fatalf("SendCode(%s) = %+v, %v; want sent", account, res, err)
	}
	ns := v.sent.list()
	if len(ns) != before+1 {
		t.Fatalf("SendCode(%s) delivered %d notices; want 1", account, len(ns)-before)
	}
	return ns[len(ns)-1].Code
}

func (v verifier) check(t *testing.T, account, code string) dialog.CheckResult {
	t.Helper()
	res, err := v.CheckCode(context.Background(), account, code)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// wrongCode is a code that is not c.
func wrongCode(c string) string {
	if c == "000000" {
		return "111111"
	}
	return "000000"
}

func TestVerifyRightCode(t *testing.T) {
	v := newVerifier(t)
	code := v.send(t, "13800138000", dialog.MethodSMS)
	n := v.sent.list()[0]
	if n.Kind != NoticeCode || n.Method != dialog.MethodSMS || n.To != "13800138000" || n.Lang != dialog.EN || n.Conv != "c1" || n.Chan != "web" {
		t.Errorf("notice = %+v", n)
	}
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		t.Fatalf("code %q is not 6 digits", code)
	}
	v.clock.advance(4*time.Minute + 59*time.Second)
	if res := v.check(t, "13800138000", " "+code+" "); res.Status != dialog.CheckOK || res.MemberID != "m-demo" {
		t.Fatalf("right code = %+v; want ok for m-demo", res)
	}
	// A code works once.
	if res := v.check(t, "13800138000", code); res.Status != dialog.CheckExpired {
		t.Errorf("code used twice = %+v; want expired", res)
	}
}

func TestVerifyDestination(t *testing.T) {
	v := newVerifier(t)
	for _, c := range []struct {
		account string
		method  dialog.Method
		to      string
	}{
		{"demo@example.com", dialog.MethodSMS, "13800138000"}, // identified by email, code by SMS
		{"13900139000", dialog.MethodEmail, "annual@example.com"},
	} {
		code := v.send(t, c.account, c.method)
		ns := v.sent.list()
		if n := ns[len(ns)-1]; n.To != c.to || n.Method != c.method {
			t.Errorf("%s by %s went to %s by %s; want %s", c.account, c.method, n.To, n.Method, c.to)
		}
		// Either identifier of the member checks the code.
		other := map[string]string{"demo@example.com": "13800138000", "13900139000": "annual@example.com"}[c.account]
		if res := v.check(t, other, code); res.Status != dialog.CheckOK {
			t.Errorf("code sent for %s checked as %s = %+v", c.account, other, res)
		}
	}
	if _, err := v.SendCode(context.Background(), dialog.CodeRequest{Account: "13800138000", Method: dialog.MethodQuestions}); err == nil {
		t.Error("SendCode by questions succeeded")
	}
}

func TestVerifyWrongCodeLocks(t *testing.T) {
	ctx := context.Background()
	v := newVerifier(t)
	code := v.send(t, "13800138000", dialog.MethodSMS)
	wrong := wrongCode(code)
	for i := 1; i < 5; i++ {
		// Wrong tries count per member, whichever identifier is used.
		account := []string{"13800138000", "demo@example.com"}[i%2]
		if res := v.check(t, account, wrong); res.Status != dialog.CheckWrong || res.Remaining != 5-i {
			t.Fatalf("wrong try %d = %+v; want wrong, %d remaining", i, res, 5-i)
		}
	}
	if res := v.check(t, "13800138000", wrong); res.Status != dialog.CheckLocked || res.Wait != 15*time.Minute {
		t.Fatalf("5th wrong try = %+v; want locked for 15m", res)
	}
	if res := v.check(t, "13800138000", code); res.Status != dialog.CheckLocked {
		t.Errorf("right code while locked = %+v; want locked", res)
	}

	// A new conversation, even a restarted process, finds the lock.
	again := NewVerification(v.store.State, NewDemoMembers(v.store.Ledger), v.sent, DefaultVerificationRules(), v.secret, shanghai, v.clock.now)
	v.clock.advance(10 * time.Minute)
	if res, _ := again.CheckCode(ctx, "demo@example.com", code); res.Status != dialog.CheckLocked || res.Wait != 5*time.Minute {
		t.Errorf("check from a new conversation = %+v; want locked, 5m to wait", res)
	}
	if res, _ := again.CheckAnswers(ctx, "13800138000", 5000, 3); res.Status != dialog.CheckLocked {
		t.Errorf("right answers while locked = %+v; want locked", res)
	}
	if res, _ := again.SendCode(ctx, dialog.CodeRequest{Account: "13800138000", Method: dialog.MethodSMS}); res.Status != dialog.SendLocked || res.Wait != 5*time.Minute {
		t.Errorf("send while locked = %+v; want locked, 5m", res)
	}

	v.clock.advance(5 * time.Minute)
	if res := v.check(t, "13800138000", code); res.Status != dialog.CheckExpired {
		t.Errorf("old code after the lock = %+v; want expired", res)
	}
	fresh := v.send(t, "13800138000", dialog.MethodSMS)
	if res := v.check(t, "13800138000", wrongCode(fresh)); res.Status != dialog.CheckWrong || res.Remaining != 4 {
		t.Errorf("wrong try after the lock = %+v; want wrong, 4 remaining", res)
	}
	if res := v.check(t, "13800138000", fresh); res.Status != dialog.CheckOK {
		t.Errorf("right code after the lock = %+v", res)
	}
}

func TestVerifyExpiry(t *testing.T) {
	v := newVerifier(t)
	code := v.send(t, "13800138000", dialog.MethodSMS)
	v.clock.advance(5 * time.Minute)
	if res := v.check(t, "13800138000", code); res.Status != dialog.CheckExpired {
		t.Errorf("code after 5 minutes = %+v; want expired", res)
	}
	if res := v.check(t, "13900139000", "123456"); res.Status != dialog.CheckExpired {
		t.Errorf("check without a code = %+v; want expired", res)
	}
}

func TestVerifyResendTooSoon(t *testing.T) {
	ctx := context.Background()
	v := newVerifier(t)
	first := v.send(t, "13800138000", dialog.MethodSMS)
	v.clock.advance(30 * time.Second)
	res, err := v.SendCode(ctx, dialog.CodeRequest{Account: "demo@example.com", Method: dialog.MethodEmail})
	if err != nil || res.Status != dialog.SendTooSoon || res.Wait != 30*time.Second {
		t.Fatalf("resend after 30s = %+v, %v; want too soon, 30s", res, err)
	}
	if n := len(v.sent.list()); n != 1 {
		t.Errorf("%d notices; the refused resend delivered one", n)
	}
	v.clock.advance(30 * time.Second)
	second := v.send(t, "13800138000", dialog.MethodSMS)
	if first != second {
		if res := v.check(t, "13800138000", first); res.Status != dialog.CheckWrong {
			t.Errorf("replaced code = %+v; want wrong", res)
		}
	}
	if res := v.check(t, "13800138000", second); res.Status != dialog.CheckOK {
		t.Errorf("new code = %+v; want ok", res)
	}
}

func TestVerifySendLimit(t *testing.T) {
	ctx := context.Background()
	v := newVerifier(t)
	for range 5 {
		v.send(t, "13800138000", dialog.MethodSMS)
		v.clock.advance(61 * time.Second)
	}
	// 5×61 s after the first send: it leaves the hour in 55 minutes.
	res, err := v.SendCode(ctx, dialog.CodeRequest{Account: "13800138000", Method: dialog.MethodSMS})
	if err != nil || res.Status != dialog.SendLimited || res.Wait != time.Hour-5*61*time.Second {
		t.Fatalf("6th send in an hour = %+v, %v; want limited, %v", res, err, time.Hour-5*61*time.Second)
	}
	v.clock.advance(res.Wait)
	v.send(t, "demo@example.com", dialog.MethodSMS)
}

// zeros is a source of randomness that makes every code "000000".
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestVerifyUnregistered(t *testing.T) {
	ctx := context.Background()
	v := newVerifier(t)
	v.random = zeros{}

	// The control: with this source a member's code is 000000.
	if code := v.send(t, "13800138000", dialog.MethodSMS); code != "000000" {
		t.Fatalf("code from zeros = %q", code)
	}
	v.sent.all = nil

	const stranger = "13000000000"
	res, err := v.SendCode(ctx, dialog.CodeRequest{Account: stranger, Method: dialog.MethodSMS})
	if err != nil || res.Status != dialog.SendSent {
		t.Fatalf("SendCode(unregistered) = %+v, %v; want sent", res, err)
	}
	if ns := v.sent.list(); len(ns) != 0 {
		t.Errorf("unregistered account got notices: %+v", ns)
	}
	// Even the code it was "sent" does not verify it; tries count as usual.
	for i := 1; i < 5; i++ {
		if res := v.check(t, stranger, "000000"); res.Status != dialog.CheckWrong || res.Remaining != 5-i {
			t.Fatalf("unregistered try %d = %+v; want wrong, %d remaining", i, res, 5-i)
		}
	}
	if res := v.check(t, stranger, "000000"); res.Status != dialog.CheckLocked {
		t.Errorf("5th unregistered try = %+v; want locked", res)
	}
	res, _ = v.SendCode(ctx, dialog.CodeRequest{Account: stranger, Method: dialog.MethodSMS})
	if res.Status != dialog.SendLocked {
		t.Errorf("send to a locked unregistered account = %+v; want locked", res)
	}
	if res, _ := v.CheckAnswers(ctx, "nobody@example.com", 0, 1); res.Status != dialog.CheckWrong {
		t.Errorf("answers for an unregistered account = %+v; want wrong", res)
	}
	// Nor is the stranger's number kept in the clear.
	scanState(t, v.store, func(k, val []byte) {
		if bytes.Contains(k, []byte(stranger)) || bytes.Contains(val, []byte(stranger)) {
			t.Errorf("state holds the unregistered number: %q = %q", k, val)
		}
	})
}

func TestVerifyCodeNotStored(t *testing.T) {
	v := newVerifier(t)
	var codes []string
	for _, acct := range []string{"13800138000", "annual@example.com", "renewoff@example.com"} {
		codes = append(codes, v.send(t, acct, dialog.MethodSMS))
	}
	keys := 0
	scanState(t, v.store, func(k, val []byte) {
		keys++
		for _, c := range codes {
			if bytes.Contains(k, []byte(c)) || bytes.Contains(val, []byte(c)) {
				t.Errorf("code %s stored in plain text: %q = %q", c, k, val)
			}
		}
	})
	if keys < 3 {
		t.Errorf("state holds %d keys; the scan missed the verification records", keys)
	}
}

// scanState calls fn with every key and value of the State database.
func scanState(t *testing.T, s *Store, fn func(k, v []byte)) {
	t.Helper()
	err := s.State.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			val, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			fn(it.Item().KeyCopy(nil), val)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestVerifyAnswers(t *testing.T) {
	ctx := context.Background()
	v := newVerifier(t)
	check := func(account string, amount int64, month int) dialog.CheckResult {
		t.Helper()
		res, err := v.CheckAnswers(ctx, account, amount, month)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for _, m := range DemoProfiles(testNow, shanghai) {
		month := int(m.RegisteredAt.In(shanghai).Month())
		if res := check(m.Email, m.LastOrder.AmountCents, month); res.Status != dialog.CheckOK || res.MemberID != m.ID {
			t.Errorf("answers for %s = %+v; want ok", m.ID, res)
		}
	}
	if res := check("13800138000", 5000, 3); res.Status != dialog.CheckOK {
		t.Errorf("m-demo's answers (¥50.00, March) = %+v; want ok", res)
	}
	if res := check("13800138000", 5000, 4); res.Status != dialog.CheckWrong || res.Remaining != 4 {
		t.Errorf("wrong month = %+v; want wrong, 4 remaining", res)
	}
	if res := check("13800138000", 3000, 3); res.Status != dialog.CheckWrong || res.Remaining != 3 {
		t.Errorf("wrong amount = %+v; want wrong, 3 remaining", res)
	}
	// Wrong codes and wrong answers fill the same count.
	code := v.send(t, "13800138000", dialog.MethodSMS)
	v.check(t, "13800138000", wrongCode(code))
	v.check(t, "13800138000", wrongCode(code))
	if res := v.check(t, "13800138000", wrongCode(code)); res.Status != dialog.CheckLocked {
		t.Errorf("5th wrong try (2 answers, 3 codes) = %+v; want locked", res)
	}
	if res := check("demo@example.com", 5000, 3); res.Status != dialog.CheckLocked {
		t.Errorf("right answers while locked = %+v; want locked", res)
	}
}

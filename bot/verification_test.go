package bot

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/store"

	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/internal/kefutest"
)

// verifier is a Verification on a fresh store with the demo members, a
// settable clock and captured notices.
type verifier struct {
	*Verification
	store *store.Badger
	clock *kefutest.Clock
	sent  *notices
}

func newVerifier(t *testing.T) verifier {
	t.Helper()
	s := openTestStore(t, t.TempDir())
	members := seededMembers(t, s, 0)
	key, err := secret(context.Background(), s.Ledger(), "verification")
	if err != nil {
		t.Fatal(err)
	}
	c := kefutest.NewClock(testNow)
	sent := &notices{}
	v := NewVerification(s.State(), members, sent, DefaultVerificationRules(), key, shanghai, c.Now)
	return verifier{Verification: v, store: s, clock: c, sent: sent}
}

// send asks for a code and returns the one delivered.
func (v verifier) send(t *testing.T, account string, method dialog.Method) string {
	t.Helper()
	before := len(v.sent.list())
	res, err := v.SendCode(context.Background(), dialog.CodeRequest{Account: account, Method: method, Lang: dialog.EN, Conv: "c1", Channel: "web"})
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
	if n.Kind != NoticeCode || n.Method != dialog.MethodSMS || n.To != "13800138000" || n.Lang != dialog.EN || n.Conv != "c1" || n.Channel != "web" {
		t.Errorf("notice = %+v", n)
	}
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		t.Fatalf("code %q is not 6 digits", code)
	}
	v.clock.Advance(4*time.Minute + 59*time.Second)
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
	again := NewVerification(v.store.State(), NewDemoMembers(v.store.Ledger()), v.sent, DefaultVerificationRules(), v.secret, shanghai, v.clock.Now)
	v.clock.Advance(10 * time.Minute)
	if res, _ := again.CheckCode(ctx, "demo@example.com", code); res.Status != dialog.CheckLocked || res.Wait != 5*time.Minute {
		t.Errorf("check from a new conversation = %+v; want locked, 5m to wait", res)
	}
	if res, _ := again.CheckAnswers(ctx, "13800138000", 5000, 3); res.Status != dialog.CheckLocked {
		t.Errorf("right answers while locked = %+v; want locked", res)
	}
	if res, _ := again.SendCode(ctx, dialog.CodeRequest{Account: "13800138000", Method: dialog.MethodSMS}); res.Status != dialog.SendLocked || res.Wait != 5*time.Minute {
		t.Errorf("send while locked = %+v; want locked, 5m", res)
	}

	v.clock.Advance(5 * time.Minute)
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
	v.clock.Advance(5 * time.Minute)
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
	v.clock.Advance(30 * time.Second)
	res, err := v.SendCode(ctx, dialog.CodeRequest{Account: "demo@example.com", Method: dialog.MethodEmail})
	if err != nil || res.Status != dialog.SendTooSoon || res.Wait != 30*time.Second {
		t.Fatalf("resend after 30s = %+v, %v; want too soon, 30s", res, err)
	}
	if n := len(v.sent.list()); n != 1 {
		t.Errorf("%d notices; the refused resend delivered one", n)
	}
	v.clock.Advance(30 * time.Second)
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
		v.clock.Advance(61 * time.Second)
	}
	// 5×61 s after the first send: it leaves the hour in 55 minutes.
	res, err := v.SendCode(ctx, dialog.CodeRequest{Account: "13800138000", Method: dialog.MethodSMS})
	if err != nil || res.Status != dialog.SendLimited || res.Wait != time.Hour-5*61*time.Second {
		t.Fatalf("6th send in an hour = %+v, %v; want limited, %v", res, err, time.Hour-5*61*time.Second)
	}
	v.clock.Advance(res.Wait)
	v.send(t, "demo@example.com", dialog.MethodSMS)
}

// A code the SMS service did not accept does not make the member wait
// before asking again, and still works should the service have delivered
// it after all; it does count towards the hourly limit, which guards a
// phone against a flood of codes whatever the service answers.
func TestVerifyFailedSendAllowsResend(t *testing.T) {
	ctx := WithSource(context.Background(), "ip:198.51.100.7")
	v := newVerifier(t)
	sendCode := func() (dialog.SendResult, error) {
		return v.SendCode(ctx, dialog.CodeRequest{Account: "13800138000", Method: dialog.MethodSMS})
	}
	v.sent.err = errors.New("sms gateway down")
	for i := range 2 {
		if res, err := sendCode(); !errors.Is(err, dialog.ErrUnavailable) {
			t.Fatalf("send %d with the gateway down = %+v, %v; want unavailable", i+1, res, err)
		}
	}
	if res := v.check(t, "13800138000", v.sent.list()[1].Code); res.Status != dialog.CheckOK {
		t.Fatalf("the code whose answer was lost = %+v; want it to verify", res)
	}
	v.sent.err = nil
	for i := range 3 {
		if res, err := sendCode(); err != nil || res.Status != dialog.SendSent {
			t.Fatalf("send %d after the gateway is back = %+v, %v; want sent", i+1, res, err)
		}
		v.clock.Advance(61 * time.Second)
	}
	if res, err := sendCode(); err != nil || res.Status != dialog.SendLimited {
		t.Fatalf("6th send in an hour, 2 of them failed = %+v, %v; want limited", res, err)
	}
}

// An unregistered account's "code sent" takes as long as a real send: the
// time of a recent one, so response times do not tell who is registered.
func TestVerifyUnregisteredTakesAsLong(t *testing.T) {
	v := newVerifier(t)
	v.notifier = NotifierFunc(func(ctx context.Context, n Notice) error {
		v.clock.Advance(300 * time.Millisecond) // the SMS service's answer
		return v.sent.Notify(ctx, n)
	})
	var paused []time.Duration
	v.pause = func(_ context.Context, d time.Duration) { paused = append(paused, d) }
	send := func(account string) {
		t.Helper()
		res, err := v.SendCode(context.Background(), dialog.CodeRequest{Account: account, Method: dialog.MethodSMS})
		if err != nil || res.Status != dialog.SendSent {
			t.Fatalf("SendCode(%s) = %+v, %v", account, res, err)
		}
	}
	send("13000000000")
	send("13800138000")
	send("13000000001")
	if len(paused) != 2 || paused[0] != 0 || paused[1] != 300*time.Millisecond {
		t.Fatalf("unregistered sends paused %v; want [0s 300ms]: none measured yet, then the member's send", paused)
	}
	if len(v.sent.list()) != 1 {
		t.Fatalf("%d notices; want the member's only", len(v.sent.list()))
	}
}

// zeros is a source of randomness that makes every code "000000".
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// ones is a source of bytes of 0x01, for a known code other than 000000.
type ones struct{}

func (ones) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 1
	}
	return len(p), nil
}

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
func scanState(t *testing.T, s store.Store, fn func(k, v []byte)) {
	t.Helper()
	err := view(s.State(), func(txn store.Txn) error {
		return txn.Scan(nil, store.ScanOptions{}, func(k, v []byte) error {
			fn(append([]byte(nil), k...), append([]byte(nil), v...))
			return nil
		})
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

// extraPhone is the phone of the i-th synthetic member; seededMembers is
// called with extra 0, so these are all unregistered: the limits count the
// same either way.
func extraPhone(i int) string { return strconv.Itoa(15000000000 + i) }

// One source asking codes for many accounts is limited, whatever the
// accounts; another source is not, and the hour frees it again.
func TestVerifySendLimitPerSource(t *testing.T) {
	v := newVerifier(t)
	a, b := WithSource(context.Background(), "ip:198.51.100.7"), WithSource(context.Background(), "telegram:42")
	send := func(ctx context.Context, account string) dialog.SendResult {
		t.Helper()
		res, err := v.SendCode(ctx, dialog.CodeRequest{Account: account, Method: dialog.MethodSMS})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for i := range 10 {
		if res := send(a, extraPhone(i)); res.Status != dialog.SendSent {
			t.Fatalf("send %d from one source = %+v; want sent", i+1, res)
		}
		v.clock.Advance(time.Minute)
	}
	// 10 minutes after the first send: it leaves the hour in 50.
	if res := send(a, "13800138000"); res.Status != dialog.SendLimited || res.Wait != 50*time.Minute {
		t.Fatalf("11th send from one source = %+v; want limited for 50m", res)
	}
	if n := len(v.sent.list()); n != 0 {
		t.Fatalf("the limited send delivered %d notices", n)
	}
	if res := send(b, "13800138000"); res.Status != dialog.SendSent {
		t.Fatalf("send from another source = %+v; want sent", res)
	}
	if res := send(context.Background(), extraPhone(20)); res.Status != dialog.SendSent {
		t.Fatalf("send without a source = %+v; want sent", res)
	}
	v.clock.Advance(50 * time.Minute)
	if res := send(a, extraPhone(21)); res.Status != dialog.SendSent {
		t.Fatalf("send from the source an hour later = %+v; want sent", res)
	}
}

// Wrong codes and wrong answers from one source count together across
// accounts; at 20 in an hour every check from it is refused as locked,
// right answers included, while the accounts themselves stay unlocked.
func TestVerifyWrongLimitPerSource(t *testing.T) {
	ctx := WithSource(context.Background(), "ip:198.51.100.8")
	v := newVerifier(t)
	v.random = zeros{}
	wrong := 0
	for acct := 0; wrong < 20; acct++ {
		account := extraPhone(acct)
		if _, err := v.SendCode(ctx, dialog.CodeRequest{Account: account, Method: dialog.MethodSMS}); err != nil {
			t.Fatal(err)
		}
		// Four wrong tries per account: below the account's lock.
		for range 4 {
			var res dialog.CheckResult
			var err error
			if wrong%2 == 0 {
				res, err = v.CheckCode(ctx, account, "123456")
			} else {
				res, err = v.CheckAnswers(ctx, account, 100, 2)
			}
			if err != nil || res.Status != dialog.CheckWrong {
				t.Fatalf("wrong try %d = %+v, %v; want wrong", wrong+1, res, err)
			}
			wrong++
			if wrong == 20 {
				break
			}
		}
		v.clock.Advance(time.Minute) // past the resend interval; stays under 10 sends
	}
	for _, check := range []func() (dialog.CheckResult, error){
		func() (dialog.CheckResult, error) { return v.CheckCode(ctx, "13800138000", "000000") },
		func() (dialog.CheckResult, error) { return v.CheckAnswers(ctx, "13800138000", 5000, 3) },
	} {
		if res, err := check(); err != nil || res.Status != dialog.CheckLocked || res.Wait <= 0 || res.Wait > time.Hour {
			t.Fatalf("check from the source after 20 wrong = %+v, %v; want locked for under an hour", res, err)
		}
	}
	// The member, from elsewhere, is not locked out by someone else's guesses.
	code := v.send(t, "13800138000", dialog.MethodSMS)
	if res := v.check(t, "13800138000", code); res.Status != dialog.CheckOK {
		t.Fatalf("the member from another source = %+v; want ok", res)
	}
	v.clock.Advance(time.Hour)
	if res, _ := v.CheckAnswers(ctx, "13800138000", 5000, 3); res.Status != dialog.CheckOK {
		t.Fatalf("right answers from the source an hour later = %+v; want ok", res)
	}
}

// The state database keeps no source in the clear.
func TestVerifySourceNotStored(t *testing.T) {
	v := newVerifier(t)
	const ip = "203.0.113.99"
	if _, err := v.SendCode(WithSource(context.Background(), "ip:"+ip), dialog.CodeRequest{Account: "13800138000", Method: dialog.MethodSMS}); err != nil {
		t.Fatal(err)
	}
	sources := 0
	scanState(t, v.store, func(k, val []byte) {
		if bytes.Contains(k, []byte(ip)) || bytes.Contains(val, []byte(ip)) {
			t.Errorf("state holds the address: %q = %q", k, val)
		}
		if bytes.HasPrefix(k, []byte(verifyPrefix+"source/")) {
			sources++
		}
	})
	if sources != 1 {
		t.Errorf("%d source records, want 1", sources)
	}
}

// No enumeration: through a whole verification — code sent, wrong codes, a
// resend asked too soon, the lock, wrong security answers, another method —
// a registered and an unregistered phone or email get the same replies,
// word for word but for the masked identifier, with the same buttons.
func TestVerifyRepliesDoNotRevealRegistration(t *testing.T) {
	clock := kefutest.NewClock(testNow) // the runtime's goroutines read it too
	rt, err := Open(Config{
		DataDir: t.TempDir(), Demo: true, Location: shanghai, Log: quietLog,
		Notifier: &notices{}, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	// Codes from bytes of 0x01 (065793): never a code the script types.
	rt.engine.Verifier.(countedVerifier).Verifier.(*Verification).random = ones{}
	ctx := context.Background()

	type step struct {
		button bool
		text   string
		wait   time.Duration // instead of a message: time passes
	}
	say := func(s string) step { return step{text: s} }
	press := func(v string) step { return step{button: true, text: v} }
	wait := func(d time.Duration) step { return step{wait: d} }
	// Every code typed is wrong for both: the codes sent are 065793.
	script := func(lang dialog.Lang, account string) []step {
		cancel, amount, month := "我要取消会员", "12.34", "2月"
		if lang == dialog.EN {
			cancel, month = "I want to cancel my membership", "February"
		}
		return []step{
			say(cancel), say(account), // the code goes out at once
			say("000000"), press("resend"), say("000000"), say("000000"), say("000000"),
			say("000000"), // the fifth wrong try locks
			say(cancel), say(account),
			wait(15 * time.Minute),
			say(cancel), say(account), press("method:questions"), say(amount), say(month),
			press("methods"), press("method:email"), say("999999"), press("resend"),
			wait(5 * time.Minute), say("999999"),
			press("abort"),
		}
	}
	mask := func(account string) string { return dialog.MaskAccount(account) }
	start := clock.Now()
	run := func(lang dialog.Lang, account string) (replies []string, codes []string) {
		clock.Set(start) // the same times for both accounts: replies name times
		id, _, err := rt.Resolve(ctx, "test", string(lang)+"/"+account)
		if err != nil {
			t.Fatal(err)
		}
		if err := rt.Start(ctx, id, lang, ""); err != nil {
			t.Fatal(err)
		}
		for _, s := range script(lang, account) {
			if s.wait > 0 {
				clock.Advance(s.wait)
				continue
			}
			kind := dialog.InputText
			if s.button {
				kind = dialog.InputButton
			}
			if err := rt.Handle(ctx, id, kind, s.text, lang); err != nil {
				t.Fatal(err)
			}
			clock.Advance(10 * time.Second)
		}
		history, err := rt.History(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		masked := mask(account)
		for _, m := range history {
			switch m.From {
			case FromBot:
				line := strings.ReplaceAll(m.Text, masked, "<account>")
				for _, b := range m.Buttons {
					line += " [" + strings.ReplaceAll(b.Label, masked, "<account>") + "|" + b.Value + "]"
				}
				replies = append(replies, line)
			case FromSystem: // the demo's stand-in for the SMS: not a reply
				codes = append(codes, m.Text)
			}
		}
		return replies, codes
	}
	for _, tc := range []struct {
		lang                     dialog.Lang
		registered, unregistered string
	}{
		{dialog.ZH, "13800138000", "13800138001"},
		{dialog.EN, "13900139000", "13900139001"},
		{dialog.EN, "renewoff@example.com", "renew0ff@example.com"},
		{dialog.ZH, "expired@example.com", "expire@example.com"},
	} {
		known, sent := run(tc.lang, tc.registered)
		unknown, none := run(tc.lang, tc.unregistered)
		if len(sent) == 0 || len(none) != 0 {
			t.Fatalf("%s: %d demo codes for the member, %d for the stranger; want some and none", tc.registered, len(sent), len(none))
		}
		for _, c := range sent {
			if !strings.Contains(c, "065793") {
				t.Fatalf("demo code message %q, want the code 065793", c)
			}
		}
		if strings.Join(known, "\n") != strings.Join(unknown, "\n") {
			for i := range max(len(known), len(unknown)) {
				var k, u string
				if i < len(known) {
					k = known[i]
				}
				if i < len(unknown) {
					u = unknown[i]
				}
				if k != u {
					t.Errorf("%s vs %s, reply %d:\n registered:   %q\n unregistered: %q", tc.registered, tc.unregistered, i, k, u)
				}
			}
			t.FailNow()
		}
		if len(known) < 15 {
			t.Fatalf("%s: only %d replies; the script did not go through the verification:\n%s", tc.registered, len(known), strings.Join(known, "\n"))
		}
	}
}

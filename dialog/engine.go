package dialog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Engine runs conversation turns. Its fields are the ports and settings it
// needs; it holds no conversation state, so one Engine serves every
// conversation concurrently.
type Engine struct {
	Members  Members
	Verifier Verifier
	Orders   WorkOrders
	Answers  Answers // the help center's articles; nil: none

	VerifiedFor time.Duration // how long a verification lasts in a conversation; default 15m
	IdleAfter   time.Duration // an idle flow is reset after this; default 30m
	MaxLen      int           // longest member message in characters; default 2000
	CodeTTL     time.Duration // shown to the member; default 5m

	// ReceiptLink returns the address of an order's printable receipt page,
	// or "" when there is none; nil: receipts carry no link.
	ReceiptLink func(WorkOrder) string
}

// Defaults from DESIGN §2.
const (
	DefaultVerifiedFor = 15 * time.Minute
	DefaultIdleAfter   = 30 * time.Minute
	DefaultMaxLen      = 2000
	DefaultCodeTTL     = 5 * time.Minute
)

func (e *Engine) idleAfter() time.Duration { return orDefault(e.IdleAfter, DefaultIdleAfter) }
func (e *Engine) codeTTL() time.Duration   { return orDefault(e.CodeTTL, DefaultCodeTTL) }
func (e *Engine) maxLen() int {
	if e.MaxLen > 0 {
		return e.MaxLen
	}
	return DefaultMaxLen
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Button values. Free text reaches the same handlers.
const (
	btnAbort    = "abort"
	btnBack     = "back"
	btnResend   = "resend"
	btnMethods  = "methods"
	btnContinue = "continue"
	btnIntent   = "intent:"  // + Intent
	btnMethod   = "method:"  // + Method
	btnOption   = "opt:"     // + cancel_now | no_renew
	btnReason   = "reason:"  // + reason code
	btnConfirm  = "confirm:" // + flow number
	btnLang     = "lang:"    // + Lang
	btnOrder    = "order:"   // + work-order number: show that order
	btnHelpful  = "kb:up:"   // + article ID: it helped
	btnNoHelp   = "kb:down:" // + article ID: it did not
	btnCSATUp   = "csat:up"  // satisfied (DESIGN §5: the values are the contract's)
	btnCSATDown = "csat:down"
)

// ButtonLabel is the label message ID of a button value the engine offers,
// for showing a pressed button that is no longer on screen; ok is false for
// values that need their message (confirm buttons, say).
func ButtonLabel(value string) (id string, ok bool) {
	kind, arg, _ := strings.Cut(value, ":")
	switch kind {
	case "intent":
		id = map[string]string{
			string(IntentCancelMembership): "menu_cancel", string(IntentTurnOffAutoRenew): "menu_autorenew",
			string(IntentMembershipStatus): "menu_status", string(IntentRefundPolicy): "menu_refund",
			string(IntentWorkOrderStatus): "menu_workorder", string(IntentHumanAgent): "menu_agent"}[arg]
	case "method":
		id = "method_" + arg
	case "opt":
		id = "opt_" + arg
	case "reason":
		id = "reason_" + arg
	case "lang":
		if l, ok := ParseLang(arg); ok {
			id = "btn_lang_" + string(l[:2])
		}
	case "order":
		id = "btn_order_status"
	case "kb":
		id = map[string]string{"up": "btn_helpful", "down": "btn_not_helpful"}[strings.SplitN(arg, ":", 2)[0]]
	case "csat":
		id = map[string]string{"up": "btn_csat_up", "down": "btn_csat_down"}[arg]
	case btnAbort:
		id = "btn_abort"
	case btnBack:
		id = "btn_back"
	case btnResend:
		id = "btn_resend"
	case btnMethods:
		id = "btn_other_method"
	case btnContinue:
		id = "btn_continue"
	}
	return id, id != ""
}

// reasons offered after a receipt, as codes; the text shown is
// "reason_<code>".
var reasons = []string{"price", "unused", "switching", "other"}

// Turn runs one turn: it returns the new state, the replies to show in order,
// and effects for the runtime. It never fails: port errors become an honest
// reply. The same state and input always give the same number of replies.
func (e *Engine) Turn(ctx context.Context, st State, in Input) (State, []Reply, []Effect) {
	t := &turn{e: e, ctx: ctx, st: st, in: in}
	t.run()
	t.st.LastActive = in.At
	return t.st, t.replies, t.effects
}

// turn is the working state of one Turn call.
type turn struct {
	e       *Engine
	ctx     context.Context
	st      State
	in      Input
	misses  int    // misunderstandings in a row before this turn
	detail  Detail // what kind of message an off-flow one is
	replies []Reply
	effects []Effect
}

func (t *turn) say(id string, data map[string]any, buttons ...Button) {
	t.replies = append(t.replies, Reply{ID: id, Data: data, Buttons: buttons})
	if len(buttons) > 0 {
		t.st.Buttons = make([]string, 0, len(buttons)) // never reuse: the caller's state shares the array
		for _, b := range buttons {
			t.st.Buttons = append(t.st.Buttons, b.Value)
		}
	}
}

func (t *turn) effect(e Effect) { t.effects = append(t.effects, e) }

func btn(label, value string) Button { return Button{Label: label, Value: value} }

func (t *turn) run() {
	st := &t.st
	if st.InFlow() && !st.LastActive.IsZero() && t.in.At.Sub(st.LastActive) > t.e.idleAfter() {
		quiet := st.Step == StepReason // nothing was left undone
		st.Reset()
		if t.in.Kind != InputStart && !quiet {
			t.say("session_expired", nil)
		}
	}
	if _, ok := st.VerifiedMember(t.in.At, t.e.VerifiedFor); !ok {
		st.Verified, st.VerifiedAt = "", time.Time{}
	}
	t.pickLang()
	t.misses, st.Misses = st.Misses, 0
	if st.InFlow() && st.Step != StepReason && t.in.Kind != InputStart {
		st.Actions++ // one more of the member's actions in the open flow
	}

	switch t.in.Kind {
	case InputStart:
		st.Reset()
		switch p := Intent(strings.TrimSpace(t.in.Text)); {
		case p == "cancel":
			t.intent(IntentCancelMembership, "")
		case p == "autorenew":
			t.intent(IntentTurnOffAutoRenew, "")
		case slices.Contains(Intents, p) && p != IntentGreeting && p != IntentOutOfScope:
			t.intent(p, "")
		default:
			t.say("welcome", nil, t.menu()...)
		}
	case InputButton:
		t.button(t.in.Text)
	default:
		t.text(t.in.Text)
	}
}

// pickLang settles the reply language: the member's explicit choice first,
// then a whole sentence written in another language, then the channel's
// hint.
func (t *turn) pickLang() {
	st := &t.st
	if st.LangChosen {
		return
	}
	if st.Lang == "" {
		st.Lang = ZH
		if t.in.Hint != "" {
			st.Lang = t.in.Hint
		}
	}
	if t.in.Kind != InputText || len(t.in.Text) > 4*t.e.maxLen() {
		return
	}
	if l, ok := DetectLang(t.in.Text); ok && l != st.Lang && clearlyWritten(t.in.Text, l) {
		st.Lang = l
	}
}

// clearlyWritten tells whether text is a sentence in lang, enough to switch
// to it: two Han characters for Chinese; for English two words a member
// would write ("cancel my membership", "hello there"), so digits, codes,
// emails, "ok" or "asdf qwer" never switch.
func clearlyWritten(text string, lang Lang) bool {
	if lang == ZH {
		han := 0
		for _, r := range text {
			if unicode.Is(unicode.Han, r) {
				han++
			}
		}
		return han >= 2
	}
	return englishWords(text) >= 2
}

// button handles a pressed button; values it does not know are read as text.
func (t *turn) button(v string) {
	st := &t.st
	verifying := st.Step == StepCode || st.Step == StepAmount || st.Step == StepMonth || st.Step == StepMethod
	switch {
	case v == btnAbort:
		t.abort()
	case v == btnContinue:
		t.reprompt()
	case v == btnBack && (st.Step == StepConfirm || st.Step == StepClarify):
		t.showOptions()
	case v == btnResend && st.Step == StepCode:
		t.sendCode()
	case v == btnMethods && verifying:
		t.askMethod()
	case strings.HasPrefix(v, btnIntent):
		t.intent(Intent(strings.TrimPrefix(v, btnIntent)), "")
	case strings.HasPrefix(v, btnLang):
		if l, ok := ParseLang(strings.TrimPrefix(v, btnLang)); ok {
			t.switchLang(l)
		} else {
			t.text(v)
		}
	case strings.HasPrefix(v, btnOrder):
		t.lookupNumber(strings.TrimPrefix(v, btnOrder))
	case strings.HasPrefix(v, btnHelpful):
		t.effect(Feedback{Article: strings.TrimPrefix(v, btnHelpful), Helpful: true})
		t.say("kb_thanks", nil)
		t.resumeHint()
	case v == btnCSATUp || v == btnCSATDown:
		t.rated(v == btnCSATUp)
	case strings.HasPrefix(v, btnNoHelp):
		t.effect(Feedback{Article: strings.TrimPrefix(v, btnNoHelp)})
		t.say("kb_sorry", nil, btn("menu_agent", btnIntent+string(IntentHumanAgent)))
		t.resumeHint()
	case strings.HasPrefix(v, btnMethod) && verifying:
		t.chooseMethod(Method(strings.TrimPrefix(v, btnMethod)))
	case strings.HasPrefix(v, btnOption) && (st.Step == StepOptions || st.Step == StepClarify || st.Step == StepConfirm):
		t.choose(OrderKind(strings.TrimPrefix(v, btnOption)))
	case strings.HasPrefix(v, btnReason) && st.Step == StepReason:
		t.setReason(strings.TrimPrefix(v, btnReason))
	case strings.HasPrefix(v, btnReason) && st.Step == StepConfirm:
		t.askConfirm() // a reason button of an older screen: the confirmation stands
	case strings.HasPrefix(v, btnConfirm):
		t.confirmButton(strings.TrimPrefix(v, btnConfirm))
	default:
		t.text(v)
	}
}

// text handles typed text.
func (t *turn) text(raw string) {
	st := &t.st
	if !utf8.ValidString(raw) {
		t.say("unreadable", nil)
		return
	}
	if utf8.RuneCountInString(raw) > t.e.maxLen() {
		t.say("too_long", map[string]any{"Max": t.e.maxLen()})
		return
	}
	text := strings.TrimSpace(raw)
	if text == "" {
		t.say("empty", nil)
		return
	}
	// "2" picks the second button of the last prompt.
	if n, err := strconv.Atoi(text); err == nil && n >= 1 && n <= len(st.Buttons) && len(text) <= 2 {
		t.button(st.Buttons[n-1])
		return
	}

	cmd := DetectCommand(text)
	switch cmd {
	case CmdLangZH:
		t.switchLang(ZH)
		return
	case CmdLangEN:
		t.switchLang(EN)
		return
	case CmdRestart:
		st.Reset()
		t.effect(Withdraw{})
		t.say("restarted", nil, t.menu()...)
		return
	case CmdAbort:
		if st.Step != StepReason {
			t.abort()
			return
		}
	}
	intent, detail := read(text)
	t.detail = detail
	if intent == IntentHumanAgent {
		t.effect(Handoff{Reason: "asked"})
		return
	}
	if st.InFlow() && t.step(text, cmd, intent) {
		return
	}
	if intent == IntentOutOfScope {
		if _, ok := ExtractNumber(text); ok {
			intent = IntentWorkOrderStatus
		} else if cmd == CmdLeave {
			t.say("leave_idle", nil, t.menu()...) // 不需要了 out of a flow: done here, or done with the membership?
			return
		}
	}
	if detail == DetailElsewhere && t.answer(text, []Button{btn("btn_do_it_here", btnIntent+string(intent))}) {
		return // APP 里怎么取消会员: the way there, and this chat's own way one tap away
	}
	if detail == DetailAbout && t.answer(text, []Button{btn("menu_workorder", btnIntent+string(intent))}) {
		return // 工单号有什么用: what it is, and checking one a tap away
	}
	t.intent(intent, text)
}

// step handles text that answers the open flow's question; false when the
// text is not such an answer.
func (t *turn) step(text string, cmd Command, intent Intent) bool {
	st := &t.st
	if st.Step == StepReason {
		return t.reasonText(text, cmd, intent)
	}
	// A phone or email at any step gives or corrects the account ("my number
	// is actually …"): verification starts again for it.
	if acct, ok := extractAccount(text); ok && st.Step != StepNumber && (acct != st.Account || st.Step == StepIdentify) {
		if st.Account != "" && acct != st.Account {
			t.say("account_updated", map[string]any{"Account": Masked(MaskAccount(acct))})
		}
		st.Account, st.Verified, st.VerifiedAt = acct, "", time.Time{}
		t.startVerify()
		return true
	}
	switch st.Step {
	case StepMethod:
		if m, ok := DetectMethod(text); ok {
			t.chooseMethod(m)
			return true
		}
	case StepCode:
		if code, ok := ExtractCode(text); ok {
			t.checkCode(code)
			return true
		}
		if cmd == CmdResend {
			t.sendCode()
			return true
		}
		if m, ok := DetectMethod(text); ok {
			t.chooseMethod(m)
			return true
		}
	case StepAmount:
		if a, ok := ExtractAmount(text); ok {
			st.Amount = a
			st.Step = StepMonth
			t.say("ask_month", nil, btn("btn_other_method", btnMethods))
			return true
		}
	case StepMonth:
		if m, ok := ExtractMonth(text); ok {
			t.checkAnswers(m)
			return true
		}
	case StepOptions, StepConfirm, StepClarify:
		if t.decide(cmd, intent) {
			return true
		}
	case StepNumber:
		if raw, ok := ExtractNumber(text); ok {
			t.lookupNumber(raw)
			return true
		}
	}
	// Wanting out of the membership while its flow is open is the flow's
	// own goal: keep going, never abort.
	leaving := cmd == CmdLeave || cmd == CmdLeaveCancel
	if intent == st.Goal || (st.Goal == IntentCancelMembership && intent == IntentTurnOffAutoRenew) || leaving && isCancelGoal(st.Goal) {
		t.reprompt()
		return true
	}
	if intent != IntentOutOfScope {
		return false
	}
	if id, ok := offFlowReplies[t.detail]; ok {
		// thanks, small talk, another thing to cancel: answered kindly,
		// and the flow goes on where it was
		t.say(id, nil)
		if t.detail != DetailBye {
			t.reprompt()
		}
		return true
	}
	t.missed()
	return true
}

// offFlowReplies answer what is neither a flow nor a step's answer.
var offFlowReplies = map[Detail]string{
	DetailThanks: "thanks", DetailBye: "bye", DetailSmallTalk: "small_talk", DetailOtherCancel: "other_cancel",
}

func isCancelGoal(g Intent) bool { return g == IntentCancelMembership || g == IntentTurnOffAutoRenew }

// decide handles the words that choose, confirm or refuse at the options
// and the confirmation; false when the text is none of them here.
func (t *turn) decide(cmd Command, intent Intent) bool {
	st := &t.st
	switch {
	case cmd == CmdCancelNow:
		t.choose(KindCancelNow)
	case cmd == CmdNoRenew:
		t.choose(KindNoRenew)
	case cmd == CmdBareCancel:
		t.clarify()
	case (cmd == CmdYes || cmd == CmdLeaveCancel) && st.Choice != "":
		t.execute()
	case cmd == CmdLeave, cmd == CmdLeaveCancel, cmd == CmdNo:
		// 不需要了 or a bare no: the member wants out, or does not like this
		// screen; which option, or keep? Ask, never guess.
		t.clarify()
	case cmd == CmdNone && intent == IntentCancelMembership && st.Step == StepOptions:
		t.clarify() // 我不想要这个会员了: yes, but which way?
	default:
		return false
	}
	return true
}

// missed answers text the open step could not use: the step's question again
// with a hint, or after two misses in a row the menu and a person.
func (t *turn) missed() {
	st := &t.st
	if t.misses+1 >= 2 {
		t.say("misunderstood_twice", nil, append(t.menu(), btn("btn_continue", btnContinue))...)
		return
	}
	st.Misses = t.misses + 1
	t.say("misunderstood_step", nil)
	t.reprompt()
}

// intent starts what a top-level intent asks for.
func (t *turn) intent(intent Intent, text string) {
	st := &t.st
	switch intent {
	case IntentCancelMembership, IntentTurnOffAutoRenew, IntentMembershipStatus:
		t.startGoal(intent, text)
	case IntentWorkOrderStatus:
		if raw, ok := ExtractNumber(text); ok {
			t.lookupNumber(raw)
			return
		}
		st.Reset()
		st.Goal, st.Step = IntentWorkOrderStatus, StepNumber
		t.say("ask_number", nil)
	case IntentRefundPolicy:
		if st.Step == StepReason {
			st.Reset()
		}
		t.say("refund_policy", nil, btn("menu_cancel", IntentValue(IntentCancelMembership)), btn("menu_agent", IntentValue(IntentHumanAgent)))
		t.resumeHint()
	case IntentHumanAgent:
		t.effect(Handoff{Reason: "asked"})
	case IntentGreeting:
		if t.detail == DetailHowAreYou {
			t.say("how_are_you", nil, t.menu()...)
			return
		}
		t.say("greeting", nil, t.menu()...)
	case IntentHelp:
		t.say("help", nil, t.menu()...)
	default:
		if id, ok := offFlowReplies[t.detail]; ok {
			if t.detail == DetailBye {
				t.say(id, nil)
			} else {
				t.say(id, nil, t.menu()...)
			}
			return
		}
		if t.answer(text, nil) {
			return
		}
		if t.misses+1 >= 2 {
			t.say("misunderstood_twice", nil, t.menu()...)
			return
		}
		st.Misses = t.misses + 1
		t.say("out_of_scope", nil, t.menu()...)
	}
}

// resumeHint reminds a member in the middle of a flow where it stands after
// a side question.
func (t *turn) resumeHint() {
	if t.st.InFlow() {
		t.reprompt()
	}
}

func (t *turn) menu() []Button {
	return []Button{
		btn("menu_cancel", IntentValue(IntentCancelMembership)),
		btn("menu_autorenew", IntentValue(IntentTurnOffAutoRenew)),
		btn("menu_status", IntentValue(IntentMembershipStatus)),
		btn("menu_refund", IntentValue(IntentRefundPolicy)),
		btn("menu_workorder", IntentValue(IntentWorkOrderStatus)),
		btn("menu_agent", IntentValue(IntentHumanAgent)),
	}
}

// menuAfterEnd is the menu for a member with nothing left to cancel.
func (t *turn) menuAfterEnd() []Button {
	return slices.DeleteFunc(t.menu(), func(b Button) bool {
		return b.Value == IntentValue(IntentCancelMembership) || b.Value == IntentValue(IntentTurnOffAutoRenew)
	})
}

func (t *turn) switchLang(l Lang) {
	t.st.Lang, t.st.LangChosen = l, true
	t.say("lang_switched", nil)
	if t.st.InFlow() {
		t.reprompt()
	} else {
		t.say("help", nil, t.menu()...)
	}
}

// abort ends the open flow on an explicit keep, and says what still
// happens to the membership when the member is known.
func (t *turn) abort() {
	st := &t.st
	t.effect(Withdraw{})
	if !st.InFlow() || st.Step == StepReason {
		st.Reset()
		if !t.in.Waiting { // a queued member hears from the runtime that they left the queue
			t.say("nothing_to_abort", nil, t.menu()...)
		}
		return
	}
	goal, offered := st.Goal, st.Step == StepOptions || st.Step == StepConfirm || st.Step == StepClarify
	st.Reset()
	if !isCancelGoal(goal) {
		t.say("aborted", nil, t.menu()...)
		return
	}
	if offered {
		t.effect(Kept{}) // told what would happen, the member keeps the membership
	}
	if st.Verified != "" {
		if m, ok := t.lookup(); ok && m.Status == StatusActive {
			if m.AutoRenew {
				t.say("kept_renews", memberData(m), t.menu()...)
			} else {
				t.say("kept_ends", memberData(m), t.menu()...)
			}
			return
		}
	}
	t.say("aborted_kept", nil, t.menu()...)
}

// startGoal opens a flow for a goal that needs a verified member.
func (t *turn) startGoal(goal Intent, text string) {
	st := &t.st
	if st.Goal == goal && st.InFlow() && st.Step != StepIdentify && st.Step != StepReason {
		t.reprompt()
		return
	}
	st.Reset()
	st.Goal = goal
	st.Flow++
	st.Actions = 1 // the opener
	if st.Verified == "" {
		st.Account = ""
	}
	if st.Verified != "" {
		t.proceed()
		return
	}
	t.say("intro_"+string(goal), nil)
	if acct, ok := extractAccount(text); ok {
		st.Account = acct
		t.startVerify()
		return
	}
	st.Step = StepIdentify
	t.say("ask_account", nil)
}

// startVerify sends a code to the account the member gave, by SMS to a
// phone and by email to an email: the other ways are one tap away.
func (t *turn) startVerify() {
	st := &t.st
	st.Method = MethodSMS
	if strings.Contains(st.Account, "@") {
		st.Method = MethodEmail
	}
	t.sendCode()
}

func (t *turn) askMethod() {
	st := &t.st
	st.Step = StepMethod
	t.say("ask_method", map[string]any{"Account": Masked(MaskAccount(st.Account))},
		btn("method_sms", btnMethod+string(MethodSMS)),
		btn("method_email", btnMethod+string(MethodEmail)),
		btn("method_questions", btnMethod+string(MethodQuestions)))
}

func (t *turn) chooseMethod(m Method) {
	st := &t.st
	switch m {
	case MethodSMS, MethodEmail:
		st.Method = m
		t.sendCode()
	case MethodQuestions:
		st.Method, st.Step = m, StepAmount
		t.say("ask_amount", nil, btn("btn_other_method", btnMethods))
	default:
		t.askMethod()
	}
}

// otherCodeMethod is the button that sends the code the other way.
func (t *turn) otherCodeMethod() Button {
	if t.st.Method == MethodEmail {
		return btn("switch_sms", btnMethod+string(MethodSMS))
	}
	return btn("switch_email", btnMethod+string(MethodEmail))
}

func (t *turn) sendCode() {
	st := &t.st
	res, err := t.e.Verifier.SendCode(t.ctx, CodeRequest{Account: st.Account, Method: st.Method, Lang: st.Lang, Conv: t.in.Conv, Channel: t.in.Channel})
	if err != nil {
		t.unavailable(err)
		return
	}
	wait := map[string]any{"Minutes": minutesCeil(res.Wait), "Seconds": int((res.Wait + time.Second - 1) / time.Second)}
	switch res.Status {
	case SendSent:
		st.Step = StepCode
		t.say("code_sent_"+string(st.Method), map[string]any{"Account": Masked(MaskAccount(st.Account)), "Minutes": minutesCeil(t.e.codeTTL())},
			t.otherCodeMethod(), btn("method_questions", btnMethod+string(MethodQuestions)),
			btn("btn_resend", btnResend), btn("menu_agent", IntentValue(IntentHumanAgent)))
	case SendTooSoon:
		st.Step = StepCode
		t.say("code_too_soon", wait, t.otherCodeMethod(), btn("method_questions", btnMethod+string(MethodQuestions)))
	case SendLimited:
		t.say("code_limited", wait, btn("method_questions", btnMethod+string(MethodQuestions)), btn("menu_agent", IntentValue(IntentHumanAgent)))
		st.Step = StepMethod
	case SendLocked:
		t.locked(res.Wait)
	}
}

func (t *turn) checkCode(code string) {
	res, err := t.e.Verifier.CheckCode(t.ctx, t.st.Account, code)
	if err != nil {
		t.unavailable(err)
		return
	}
	t.checked(res)
}

func (t *turn) checkAnswers(month int) {
	res, err := t.e.Verifier.CheckAnswers(t.ctx, t.st.Account, t.st.Amount, month)
	if err != nil {
		t.unavailable(err)
		return
	}
	if res.Status == CheckWrong {
		t.st.Step = StepAmount
		t.say("answers_wrong", map[string]any{"Remaining": res.Remaining}, btn("btn_other_method", btnMethods), btn("menu_agent", IntentValue(IntentHumanAgent)))
		return
	}
	t.checked(res)
}

func (t *turn) checked(res CheckResult) {
	st := &t.st
	switch res.Status {
	case CheckOK:
		st.Verified, st.VerifiedAt = res.MemberID, t.in.At
		t.say("verified", nil)
		t.proceed()
	case CheckWrong:
		t.say("code_wrong", map[string]any{"Remaining": res.Remaining}, btn("btn_resend", btnResend), btn("btn_other_method", btnMethods))
	case CheckExpired:
		t.say("code_expired", nil, btn("btn_resend", btnResend), btn("btn_other_method", btnMethods))
	case CheckLocked:
		t.locked(res.Wait)
	}
}

// locked tells until when the account's verification is paused. The flow
// waits at the code step, so a code typed meanwhile gets the same answer.
func (t *turn) locked(wait time.Duration) {
	t.st.Step = StepCode
	t.say("locked", map[string]any{"Minutes": minutesCeil(wait), "Until": t.in.At.Add(wait)}, btn("menu_agent", IntentValue(IntentHumanAgent)))
}

// proceed continues a flow once the member is verified.
func (t *turn) proceed() {
	st := &t.st
	switch st.Goal {
	case IntentWorkOrderStatus:
		t.showNumber(st.Number)
		return
	}
	m, ok := t.member()
	if !ok {
		return
	}
	switch st.Goal {
	case IntentMembershipStatus:
		st.Reset()
		t.say("status_"+string(m.Status), memberData(m), t.statusButtons(m)...)
		return
	}
	switch {
	case m.Status == StatusExpired:
		st.Reset()
		t.say("cancel_expired", memberData(m), t.menuAfterEnd()...)
	case m.Status == StatusCancelled:
		st.Reset()
		t.say("cancel_already", memberData(m), t.menuAfterEnd()...)
	case st.Goal == IntentTurnOffAutoRenew:
		t.choose(KindNoRenew) // straight to confirming it, cancel now one tap away
	default:
		t.showOptions()
	}
}

// member looks up the verified member; false after an honest reply when it
// cannot.
func (t *turn) member() (Member, bool) {
	m, err := t.lookupErr()
	if err != nil {
		t.unavailable(err)
		return Member{}, false
	}
	return m, true
}

// lookup is member without a reply: false when the member cannot be read.
func (t *turn) lookup() (Member, bool) {
	m, err := t.lookupErr()
	return m, err == nil
}

func (t *turn) lookupErr() (Member, error) {
	st := &t.st
	m, found, err := t.e.Members.Lookup(t.ctx, st.Account)
	if err == nil && (!found || m.ID != st.Verified) {
		err = fmt.Errorf("verified member %q not found by account", st.Verified)
	}
	if err != nil {
		return Member{}, err
	}
	m.Status = m.StatusAt(t.in.At)
	return m, nil
}

func (t *turn) statusButtons(m Member) []Button {
	if m.Status != StatusActive {
		return t.menuAfterEnd()
	}
	return []Button{
		btn("menu_cancel", IntentValue(IntentCancelMembership)),
		btn("menu_autorenew", IntentValue(IntentTurnOffAutoRenew)),
	}
}

func memberData(m Member) map[string]any {
	return map[string]any{
		"Plan":      Msg("plan_" + m.Plan.Code),
		"PeriodEnd": m.PeriodEnd,
		"AutoRenew": onOff(m.AutoRenew),
		"Price":     Money(m.Plan.PriceCents),
	}
}

func onOff(b bool) Msg {
	if b {
		return Msg("autorenew_on")
	}
	return Msg("autorenew_off")
}

// paidDays is how many paid days cancelling now at now gives up (a day
// begun counts, as in Refund).
func paidDays(m Member, now time.Time) int {
	day := 24 * time.Hour
	return int((m.PeriodEnd.Sub(now) + day - 1) / day)
}

// showOptions shows both outcomes side by side. When cancelling now
// refunds nothing, don't renew comes first and cancel now says what it
// forfeits.
func (t *turn) showOptions() {
	st := &t.st
	m, ok := t.member()
	if !ok {
		return
	}
	if m.Status != StatusActive {
		t.proceed()
		return
	}
	st.Step, st.Choice = StepOptions, ""
	now, renew := Consequences(m, t.in.At)
	data := memberData(m)
	data["NowRefund"] = refundText(now.RefundCents)
	data["RenewEnd"] = renew.EffectiveAt
	data["Policy"] = Msg("policy_" + string(m.Plan.Policy))
	data["Days"] = paidDays(m, t.in.At)
	cancelNow, noRenew, keep := btn("opt_cancel_now", btnOption+string(KindCancelNow)), btn("opt_no_renew", btnOption+string(KindNoRenew)), btn("opt_keep", btnAbort)
	switch {
	case !m.AutoRenew && now.RefundCents == 0:
		t.say("options_renew_off_no_refund", data, keep, cancelNow)
	case !m.AutoRenew:
		t.say("options_renew_off", data, cancelNow, keep)
	case now.RefundCents == 0:
		t.say("options_no_refund", data, noRenew, cancelNow, keep)
	default:
		t.say("options", data, cancelNow, noRenew, keep)
	}
}

func refundText(cents int64) any {
	if cents == 0 {
		return Msg("refund_none")
	}
	return Money(cents)
}

func (t *turn) choose(k OrderKind) {
	st := &t.st
	if k != KindCancelNow && k != KindNoRenew {
		t.showOptions()
		return
	}
	if k == KindNoRenew {
		m, ok := t.member()
		if !ok {
			return
		}
		if m.Status != StatusActive {
			t.proceed()
			return
		}
		if !m.AutoRenew { // nothing to change: say so rather than issue an empty order
			st.Step, st.Choice = StepOptions, ""
			now, _ := Consequences(m, t.in.At)
			data := memberData(m)
			data["NowRefund"] = refundText(now.RefundCents)
			data["Days"] = paidDays(m, t.in.At)
			t.say("renew_already_off", data, btn("opt_keep_as_is", btnAbort), t.cancelNowButton(m))
			return
		}
	}
	st.Choice = k
	t.askConfirm()
}

// cancelNowButton offers cancel now with what it refunds or forfeits on
// its face.
func (t *turn) cancelNowButton(m Member) Button {
	now, _ := Consequences(m, t.in.At)
	b := btn("opt_cancel_now_refund", btnOption+string(KindCancelNow))
	b.Data = map[string]any{"Refund": refundText(now.RefundCents)}
	if now.RefundCents == 0 {
		b.Label = "opt_cancel_now_forfeit"
		b.Data = map[string]any{"Days": paidDays(m, t.in.At)}
	}
	return b
}

// setReason records a reason chosen after the receipt.
func (t *turn) setReason(code string) { t.recordReason(ReasonCode(code)) }

// ReasonCode is the reason code of a work order's reason: one of those the
// chat offers, or "other" for anything else (words a member typed).
func ReasonCode(reason string) string {
	if slices.Contains(reasons, reason) {
		return reason
	}
	return "other"
}

// reasonText reads text typed at the optional reason question after a
// receipt: a new request is handled as one, anything else is the reason.
func (t *turn) reasonText(text string, cmd Command, intent Intent) bool {
	st := &t.st
	switch {
	case cmd == CmdSkip || cmd == CmdNo || cmd == CmdAbort:
		st.Reset()
		t.say("reason_skipped", nil, csatButtons()...)
	case (intent == IntentOutOfScope || isCancelGoal(intent) || cmd == CmdLeave || cmd == CmdLeaveCancel) &&
		t.detail == DetailNone && !strings.ContainsAny(text, "?？"):
		if _, ok := ExtractNumber(text); ok {
			return false
		}
		t.recordReason(truncate(text, 200))
	default:
		// thanks, small talk, a question: a new message, not a reason
		st.Reset()
		return false
	}
	return true
}

func (t *turn) recordReason(reason string) {
	st := &t.st
	number := st.DoneNumber
	st.Reset()
	if err := t.e.Orders.SetReason(t.ctx, number, reason); err != nil {
		t.effect(Failure{Err: fmt.Errorf("reason for %s: %w", number, err)})
	}
	t.say("reason_thanks", nil, csatButtons()...)
}

// csatButtons answer the satisfaction question asked after a work order
// (with the reason's answer) or an agent's close (CloseConversation).
func csatButtons() []Button {
	return []Button{btn("btn_csat_up", btnCSATUp), btn("btn_csat_down", btnCSATDown)}
}

// AskCSAT is the question an agent's close ends with; what the member
// answers is about subject (CSATFor).
func AskCSAT(st *State, subject string) Reply {
	st.CSATFor = subject
	return Reply{ID: "ask_csat_agent", Buttons: csatButtons()}
}

// rated records the member's answer to the satisfaction question, once
// for what it asked about; a button pressed again, or from an older
// screen, is thanked without counting twice.
func (t *turn) rated(up bool) {
	st := &t.st
	if st.CSATFor != "" {
		t.effect(Satisfaction{Subject: st.CSATFor, Up: up})
		st.CSATFor = ""
	}
	if up {
		t.say("csat_thanks", nil, t.menu()...)
		return
	}
	t.say("csat_sorry", nil, t.menu()...)
}

func (t *turn) askConfirm() {
	st := &t.st
	m, ok := t.member()
	if !ok {
		return
	}
	st.Step = StepConfirm
	now, renew := Consequences(m, t.in.At)
	data := memberData(m)
	out := now
	if st.Choice == KindNoRenew {
		out = renew
	}
	data["Effective"] = out.EffectiveAt
	data["Refund"] = refundText(out.RefundCents)
	data["Days"] = paidDays(m, t.in.At)
	confirm := btn("btn_confirm_"+string(st.Choice), btnConfirm+strconv.Itoa(st.Flow))
	switch {
	case st.Choice == KindNoRenew && st.Goal == IntentTurnOffAutoRenew:
		confirm.Label = "btn_confirm_autorenew_off"
		t.say("confirm_autorenew_off", data, confirm, t.cancelNowButton(m), btn("btn_keep_renew", btnAbort))
	case st.Choice == KindCancelNow && out.RefundCents == 0:
		t.say("confirm_cancel_now_forfeit", data, confirm, btn("btn_back", btnBack), btn("btn_keep", btnAbort))
	default:
		t.say("confirm_"+string(st.Choice), data, confirm, btn("btn_back", btnBack), btn("btn_keep", btnAbort))
	}
}

func (t *turn) clarify() {
	st := &t.st
	st.Step = StepClarify
	if st.Choice == "" {
		t.say("clarify_options", nil,
			btn("opt_cancel_now", btnOption+string(KindCancelNow)),
			btn("opt_no_renew", btnOption+string(KindNoRenew)),
			btn("opt_keep", btnAbort))
		return
	}
	t.say("clarify_confirm", nil,
		btn("btn_confirm_"+string(st.Choice), btnConfirm+strconv.Itoa(st.Flow)),
		btn("btn_keep", btnAbort))
}

// confirmButton handles a confirm button, which names its flow: pressed
// again after the order was issued (double click, repeated update) it shows
// the same receipt; pressed from an older flow it does nothing.
func (t *turn) confirmButton(flow string) {
	st := &t.st
	n, err := strconv.Atoi(flow)
	switch {
	case err != nil:
		t.text(btnConfirm + flow)
	case n == st.Flow && (st.Step == StepConfirm || st.Step == StepClarify) && st.Choice != "":
		t.execute()
	case n == st.DoneFlow && st.DoneNumber != "":
		o, found, err := t.e.Orders.Get(t.ctx, st.DoneNumber)
		if err != nil || !found {
			t.unavailable(fmt.Errorf("order %s of flow %d: found=%v: %w", st.DoneNumber, n, found, err))
			return
		}
		t.receipt(o)
	default:
		t.say("stale_button", nil)
		t.resumeHint()
	}
}

func (t *turn) execute() {
	st := &t.st
	if st.Verified == "" { // verification ran out between the steps
		goal := st.Goal
		st.Reset()
		st.Goal = goal
		t.say("verify_again", nil)
		t.startVerify()
		return
	}
	req := OrderRequest{
		Key:      fmt.Sprintf("%s/flow/%d/%s", t.in.Conv, st.Flow, st.Choice),
		Kind:     st.Choice,
		MemberID: st.Verified,
		Channel:  t.in.Channel,
		Conv:     t.in.Conv,
		Reason:   st.Reason,
		Executor: "bot",
		Lang:     st.Lang,
		At:       t.in.At,
		Closes:   st.Callback,
	}
	o, err := t.e.Orders.Execute(t.ctx, req)
	if errors.Is(err, ErrUnavailable) {
		t.recordForLater(req, err)
		return
	}
	if err != nil {
		t.unavailable(err)
		return
	}
	t.effect(Completed{Kind: st.Choice, Actions: st.Actions})
	st.DoneFlow, st.DoneNumber, st.CSATFor = st.Flow, o.Number, o.Number
	st.Reset()
	if o.Closes != "" && o.Closes == st.Callback {
		st.Callback = ""
	}
	t.receipt(o)
	st.Step = StepReason // optional, after the receipt: one tap or a few words
	buttons := make([]Button, 0, len(reasons))
	for _, r := range reasons {
		buttons = append(buttons, btn("reason_"+r, btnReason+r))
	}
	t.say("ask_reason", nil, buttons...)
}

func (t *turn) receipt(o WorkOrder) {
	r := Receipt(o)
	if t.e.ReceiptLink != nil {
		r.Data["Link"] = t.e.ReceiptLink(o)
	}
	t.say(r.ID, r.Data, r.Buttons...)
}

// Receipt is the reply that hands a member an executed order: number,
// application and effective times, refund, auto-renew state, the callback
// it closed, and how to look it up later.
func Receipt(o WorkOrder) Reply {
	return Reply{ID: "receipt_" + string(o.ActionKind()), Data: map[string]any{
		"Number":    o.Number,
		"Applied":   o.CreatedAt,
		"Effective": o.EffectiveAt,
		"Refund":    refundText(o.RefundCents),
		"AutoRenew": onOff(o.AutoRenew),
		"Closes":    o.Closes,
		"Agent":     o.Agent(),
		"Link":      "",
	}, Buttons: []Button{btn("btn_order_status", btnOrder+o.Number)}}
}

// lookupNumber answers a work-order number: a malformed number or a wrong
// check digit at once; the order itself only in the conversation that
// created it or to its verified owner.
func (t *turn) lookupNumber(raw string) {
	st := &t.st
	n, err := ParseNumber(raw)
	switch {
	case errors.Is(err, ErrCheckDigit):
		st.Reset()
		t.say("number_check_digit", nil)
		st.Goal, st.Step = IntentWorkOrderStatus, StepNumber
		return
	case err != nil:
		st.Reset()
		t.say("number_malformed", nil)
		st.Goal, st.Step = IntentWorkOrderStatus, StepNumber
		return
	}
	o, found, err := t.e.Orders.Get(t.ctx, n)
	if err != nil {
		t.unavailable(err)
		return
	}
	if found && o.Conv == t.in.Conv && t.in.Conv != "" {
		st.Reset()
		t.orderStatus(o)
		return
	}
	st.Reset()
	st.Goal, st.Number = IntentWorkOrderStatus, n
	if st.Verified != "" {
		t.showNumber(n)
		return
	}
	st.Step = StepIdentify
	t.say("number_verify", nil)
	t.say("ask_account", nil)
}

// showNumber shows an order to its verified owner; any other number gets the
// same answer as an unknown one.
func (t *turn) showNumber(n string) {
	st := &t.st
	st.Reset()
	o, found, err := t.e.Orders.Get(t.ctx, n)
	if err != nil {
		t.unavailable(err)
		return
	}
	if !found || o.MemberID == "" || o.MemberID != st.Verified {
		t.say("number_not_found", map[string]any{"Number": n}, t.menu()...)
		return
	}
	t.orderStatus(o)
}

func (t *turn) orderStatus(o WorkOrder) {
	data := OrderFields(o)
	if o.Kind == KindCallback {
		t.say("order_status_callback", data)
		return
	}
	t.say("order_status", data)
}

// reprompt asks the open step's question again.
func (t *turn) reprompt() {
	st := &t.st
	switch st.Step {
	case StepIdentify:
		t.say("ask_account", nil)
	case StepMethod:
		t.askMethod()
	case StepCode:
		t.say("ask_code", nil, t.otherCodeMethod(), btn("method_questions", btnMethod+string(MethodQuestions)), btn("btn_resend", btnResend))
	case StepAmount:
		t.say("ask_amount", nil, btn("btn_other_method", btnMethods))
	case StepMonth:
		t.say("ask_month", nil, btn("btn_other_method", btnMethods))
	case StepOptions:
		t.showOptions()
	case StepConfirm:
		t.askConfirm()
	case StepClarify:
		t.clarify()
	case StepNumber:
		t.say("ask_number", nil)
	default:
		t.say("help", nil, t.menu()...)
	}
}

// recordForLater answers a confirmed request the member system could not
// carry out (it is down): a callback work order records what was asked, so
// a person completes it, and the member gets its number and what holds
// until then. Confirming again retries the request itself, and the order
// it then gets closes this one.
func (t *turn) recordForLater(req OrderRequest, cause error) {
	t.effect(Failure{Err: cause})
	asked := req.Kind
	req.Kind, req.Key, req.Closes = KindCallback, CallbackKey(req.Key), ""
	req.Reason = strings.TrimSpace(fmt.Sprintf("%s requested; member system unavailable. %s", asked, req.Reason))
	if t.st.Callback != "" {
		// one request, one number: a second failure repeats the first callback
		if o, found, err := t.e.Orders.Get(t.ctx, t.st.Callback); err == nil && found && o.Status == "open" {
			t.sayRecorded(o, asked)
			return
		}
	}
	o, err := t.e.Orders.Execute(t.ctx, req)
	if err != nil {
		t.unavailable(err)
		return
	}
	t.st.Callback = o.Number
	t.sayRecorded(o, asked)
}

func (t *turn) sayRecorded(o WorkOrder, asked OrderKind) {
	t.say("unavailable_recorded_"+string(asked), map[string]any{"Number": o.Number},
		btn("btn_retry_confirm", btnConfirm+strconv.Itoa(t.st.Flow)), btn("menu_agent", IntentValue(IntentHumanAgent)))
}

// unavailable tells the member honestly that something failed and offers a
// person; the flow stays where it was so a retry can continue it.
func (t *turn) unavailable(err error) {
	t.effect(Failure{Err: err})
	t.say("unavailable", nil, btn("menu_agent", IntentValue(IntentHumanAgent)))
}

func extractAccount(text string) (string, bool) {
	if e, ok := ExtractEmail(text); ok {
		return e, true
	}
	return ExtractPhone(text)
}

func minutesCeil(d time.Duration) int {
	m := int((d + time.Minute - 1) / time.Minute)
	if m < 1 {
		return 1
	}
	return m
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// answer shows the help-center article that answers a question that is
// no flow: its summary, its link, and whether it helped; extra buttons
// follow (a flow's own button when the question was how to do it
// elsewhere). False when no article answers well enough.
func (t *turn) answer(question string, extra []Button) bool {
	if t.e.Answers == nil || strings.TrimSpace(question) == "" {
		return false
	}
	a, ok := t.e.Answers.Answer(t.ctx, question, t.st.Lang)
	if !ok {
		return false
	}
	buttons := append(extra,
		btn("btn_helpful", btnHelpful+a.ID), btn("btn_not_helpful", btnNoHelp+a.ID),
		btn("menu_agent", btnIntent+string(IntentHumanAgent)))
	t.say("kb_answer", map[string]any{"Title": a.Title, "Summary": a.Summary, "Link": a.URL}, buttons...)
	return true
}

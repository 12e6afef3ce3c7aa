package dialog

// Intent rules. A message is normalised, cut into concept tokens by the
// classifier lexicon (nlu_lex.go), and read by a few rules:
//
//   - every verb that ends something (取消, cancel, stop, 关闭) looks for its
//     object nearby (会员 / membership, 自动续费 / auto-renew, 订单 / order,
//     关注 / newsletter, …) and for what stands before it in its clause:
//     a refusal (不想, don't), an inability (取消不了, can't — still a wish to
//     cancel), a condition (如果, if, 取消后), a past (已经, I cancelled), a
//     "when" (when does it end);
//   - a refusal without a verb reads its own object: 不要会员了 and "no longer
//     want the membership" cancel, 不续费 and "don't charge me again" turn
//     auto-renew off;
//   - then a fixed order settles which intent the events mean; a person asked
//     for by name and a work-order number win over everything, a refund
//     question over a cancellation it mentions, an explicit auto-renew object
//     over the membership.

var clsLex = buildClassifierLexicon()

const (
	negWindow   = 5 // positions a refusal reaches forward
	scopeWindow = 6 // positions a condition or a past reaches forward
	objAfter    = 6 // positions an object may follow its verb
	objBefore   = 8 // positions an object may precede its verb
)

// classify is Classify.
func classify(text string) Intent {
	in, _ := read(text)
	return in
}

// Detail says more of a message than its intent, so the reply can fit it.
type Detail uint8

// Details.
const (
	DetailNone        Detail = iota
	DetailOtherCancel        // cancels something that is not the membership: an order, an alarm, a transfer
	DetailThanks             // 谢谢, thanks
	DetailBye                // 再见, bye
	DetailHowAreYou          // 你好吗, how are you doing
	DetailSmallTalk          // other chit-chat: a joke, a name, an age
	DetailElsewhere          // asks how to do a flow's thing somewhere else: APP 里怎么取消会员
	DetailAbout              // asks about a work order rather than for one: 工单号有什么用
)

// read is Classify with the detail of the message.
func read(text string) (Intent, Detail) {
	var nb [512]byte
	s, info := normalizeTo(nb[:0], text, true)
	if len(s) == 0 {
		return IntentOutOfScope, DetailNone
	}
	var tb [64]token
	toks, st := clsLex.scan(s, tb[:0])
	in, ev := classifyTokens(toks, st, info.question)
	if in != IntentOutOfScope && in != IntentGreeting {
		if isCancelGoal(in) && hasConcept(toks, kPlace) && hasConcept(toks, kHow) {
			return in, DetailElsewhere
		}
		if in == IntentWorkOrderStatus && hasConcept(toks, kWhat) && !hasConcept(toks, kWO) && !hasConcept(toks, kProgress) {
			return in, DetailAbout
		}
		return in, DetailNone
	}
	return in, detailOf(toks, st, in, ev)
}

// detailOf tells what kind of message an out-of-scope or greeting one is.
func detailOf(toks []token, st scanStats, in Intent, ev events) Detail {
	if in == IntentOutOfScope && ev.wrongObj {
		return DetailOtherCancel
	}
	var has [kCount]bool
	for _, t := range toks {
		if t.c < kCount {
			has[t.c] = true
		}
	}
	objects := has[kOrder] || has[kOther] || has[kMember] || has[kAccount] || has[kRenew] || has[kAutoRenew] || has[kRefund]
	if objects || st.gaps > 4 {
		return DetailNone
	}
	switch {
	case has[kHowAreYou]:
		return DetailHowAreYou
	case has[kSmallTalk]:
		return DetailSmallTalk
	case has[kBye]:
		return DetailBye
	case has[kThanks]:
		return DetailThanks
	}
	return DetailNone
}

// verbScope is what precedes a verb in its clause.
type verbScope struct {
	neg, negPast, cant, cond, past, when, want, q bool
}

func lookBack(toks []token, i int) verbScope {
	var sc verbScope
	p := toks[i].pos
	negDone := false
	for j := i - 1; j >= 0; j-- {
		t := toks[j]
		if t.c == tokClause || p-t.pos > scopeWindow {
			break
		}
		inNeg := p-t.pos <= negWindow
		switch t.c {
		case kBlock, kWhy:
			return sc
		case kNeg, kNegWant, kNoMore:
			if inNeg && !negDone && !sc.cant {
				sc.neg = true
			}
			negDone = true
		case kCant:
			if !negDone {
				sc.cant = true
			}
			negDone = true
		case kNegPast:
			if inNeg && !negDone {
				sc.negPast = true
			}
			negDone = true
		case kCond:
			sc.cond = true
		case kPast:
			sc.past = true
		case kWhen:
			sc.when = true
		case kWantReq:
			sc.want = true
		case kQ:
			sc.q = true
		case kCancel, kCancelSolo, kStop, kDelete, kOn, kRenew, kCharge, kCancelPP:
			// another verb: what precedes it belongs to it
			negDone = true
		}
	}
	return sc
}

// object kinds a verb can act on.
const (
	objNone = iota
	objMember
	objAccount
	objAuto
	objRenew
	objCharge
	objPayment
	objOrder
	objOther
	objTicket
	objRefund
)

func objKind(c uint8) int {
	switch c {
	case kMember:
		return objMember
	case kAccount:
		return objAccount
	case kAutoRenew, kAuto:
		return objAuto
	case kRenew:
		return objRenew
	case kCharge:
		return objCharge
	case kPayment:
		return objPayment
	case kOrder:
		return objOrder
	case kOther:
		return objOther
	case kTicket, kWO:
		return objTicket
	case kRefund:
		return objRefund
	}
	return objNone
}

// headOf follows a head-final compound: in 会员订单, 会员自动续费 and
// "membership renewal" the last noun is what is meant.
func headOf(toks []token, k int) int {
	for k+1 < len(toks) && toks[k+1].pos == toks[k].pos+1 {
		o, cur := objKind(toks[k+1].c), objKind(toks[k].c)
		if o == objNone || o == cur || o == objMember || o == objAccount || o == objAuto && cur != objMember || o == objRenew && cur != objMember {
			break
		}
		k++
	}
	return k
}

// findObject finds what the verb at toks[i] acts on.
func findObject(toks []token, i int) int {
	p := toks[i].pos
	best, bestD := -1, int32(1<<30)
	auto := -1
	// after the verb, same clause
	for j := i + 1; j < len(toks); j++ {
		t := toks[j]
		if t.c == tokClause || t.pos-p > objAfter {
			break
		}
		if o := objKind(t.c); o != objNone {
			if o == objAuto && auto < 0 {
				auto = j
			}
			if d := (t.pos - p) * 2; d < bestD {
				best, bestD = j, d
			}
		}
	}
	// before the verb, up to one clause back
	clauses := 0
	for j := i - 1; j >= 0; j-- {
		t := toks[j]
		if p-t.pos > objBefore {
			break
		}
		if t.c == tokClause {
			clauses++
			if clauses > 1 {
				break
			}
			continue
		}
		if o := objKind(t.c); o != objNone {
			if o == objAuto && auto < 0 {
				auto = j
			}
			if d := (p-t.pos)*2 + 1 + int32(clauses)*4; d < bestD {
				best, bestD = j, d
			}
		}
	}
	if auto >= 0 {
		best = auto
	}
	if best < 0 {
		// Nothing close by: a thing named further on in the clause, after a
		// time or a place (取消我明天早上的闹钟), is still what is cancelled.
		for j := i + 1; j < len(toks) && toks[j].c != tokClause && toks[j].pos-p <= 3*objAfter; j++ {
			if o := objKind(toks[j].c); o == objOrder || o == objOther {
				return o
			}
		}
		return objNone
	}
	best = headOf(toks, best)
	if o := objKind(toks[best].c); o == objMember || o == objAccount {
		// "subscription to the newsletter", 会员的短信通知
		for j := best + 1; j < len(toks) && toks[j].pos-toks[best].pos <= 3; j++ {
			if c := toks[j].c; c == tokClause || c == kCancel || c == kCancelPP || c == kStop || c == kOn || c == kCancelSolo {
				break
			}
			if k := objKind(toks[j].c); k == objOther || k == objOrder {
				return k
			}
		}
	}
	return objKind(toks[best].c)
}

// events are what the rules found in a message.
type events struct {
	cancel, offExplicit, offImplicit  bool
	negCancel, condCancel, pastCancel bool
	wrongObj, deleteAccount           bool
	onEvent, whenStop, imperative     bool
}

func classifyTokens(toks []token, st scanStats, question bool) (Intent, events) {
	var cnt [kCount]uint8
	for _, t := range toks {
		if t.c < kCount && cnt[t.c] < 255 {
			cnt[t.c]++
		}
		if t.q {
			question = true
		}
	}
	has := func(c uint8) bool { return cnt[c] > 0 }

	if has(kJunk) {
		return IntentOutOfScope, events{}
	}
	if humanAsked(toks, kHuman) {
		return IntentHumanAgent, events{}
	}
	if has(kWO) {
		return IntentWorkOrderStatus, events{}
	}

	ev := readEvents(toks, has, st.gaps, question)

	// Work orders: a ticket, or a cancellation asked about after the fact.
	cancelish := has(kCancel) || has(kCancelPP) || has(kCancelSolo) || has(kCancelReq) || has(kPastCancel) || has(kPassive)
	if has(kTicket) && !(ev.cancel && ev.imperative && !question && !has(kProgress)) {
		return IntentWorkOrderStatus, ev
	}
	if has(kProgress) && (cancelish || has(kRefund) || has(kDelete)) {
		return IntentWorkOrderStatus, ev
	}
	if has(kCancelReq) && (question || has(kStatusW) || has(kPast) || has(kWhen)) {
		return IntentWorkOrderStatus, ev
	}

	// Refunds: a question about money back, even when it mentions cancelling.
	if refundAsked(toks) {
		orderOnly := has(kOrder) && !has(kMember) && !has(kAutoRenew) && !has(kRenew) && !has(kCharge) && !has(kAccount)
		switch {
		case orderOnly:
			return IntentOutOfScope, ev
		case (ev.cancel || ev.offExplicit) && ev.imperative && !question && !ev.condCancel:
			if ev.offExplicit {
				return IntentTurnOffAutoRenew, ev
			}
			return IntentCancelMembership, ev
		}
		return IntentRefundPolicy, ev
	}
	if has(kComplain) && !ev.cancel && !ev.offExplicit && !ev.offImplicit {
		if !negatedBefore(toks, kComplain) {
			return IntentHumanAgent, ev
		}
	}

	switch {
	case ev.offExplicit:
		return IntentTurnOffAutoRenew, ev
	case ev.cancel:
		return IntentCancelMembership, ev
	case ev.offImplicit:
		return IntentTurnOffAutoRenew, ev
	}
	if ev.condCancel {
		if ev.onEvent || has(kOther) || has(kOrder) || has(kDeal) {
			return IntentOutOfScope, ev // 退订后积分还在吗, "can I rejoin after cancelling"
		}
		return IntentRefundPolicy, ev
	}
	if ev.pastCancel || has(kPastCancel) {
		if has(kOrder) && !has(kMember) {
			return IntentOutOfScope, ev
		}
		if has(kCharge) || has(kMoney) || has(kPayment) {
			return IntentRefundPolicy, ev
		}
		if ev.onEvent {
			return IntentOutOfScope, ev
		}
		return IntentWorkOrderStatus, ev
	}
	if has(kPassive) && !has(kOrder) && !has(kOther) && (!has(kPayment) || has(kMember)) {
		return IntentMembershipStatus, ev
	}
	if ev.onEvent || ev.deleteAccount {
		return IntentOutOfScope, ev
	}
	if ev.negCancel || ev.wrongObj {
		return IntentOutOfScope, ev
	}

	// Status of the membership.
	memberish := has(kMember) || has(kAutoRenew) || has(kAccount) || has(kAuto) && has(kRenew)
	switch {
	case (has(kStillMember) || ev.whenStop) && (has(kMember) || !has(kOther) && !has(kOrder)):
		return IntentMembershipStatus, ev
	case has(kExpire) && (has(kMember) || !has(kOrder) && !has(kOther)):
		return IntentMembershipStatus, ev
	case (has(kStatusW) || has(kWhen) || has(kDuration)) && memberish && !has(kOrder) && !has(kWhy) && !has(kDeal):
		return IntentMembershipStatus, ev
	case (has(kWhen) || question && has(kPeriodic)) && (has(kCharge) || has(kPayment)) && !has(kOrder) && !has(kWhy):
		return IntentMembershipStatus, ev
	case has(kAutoRenew) && question && !has(kOn):
		return IntentMembershipStatus, ev
	case has(kRenew) && has(kWhen):
		return IntentMembershipStatus, ev
	}

	// A person, asked for more softly.
	if has(kHumanW) && !negatedBefore(toks, kHumanW) && (has(kTalk) || has(kWantReq) || st.gaps <= 1 && len(toks) <= 2) && !has(kGreet) {
		return IntentHumanAgent, ev
	}
	if has(kHumanW) && has(kTalk) {
		return IntentHumanAgent, ev
	}

	objects := has(kOrder) || has(kOther) || has(kMember) || has(kAccount) || has(kRenew) || has(kAutoRenew)
	if has(kHelpQ) && !has(kOrder) && !has(kOther) && !has(kMember) && !has(kAccount) {
		return IntentHelp, ev
	}
	if has(kHelp) && !objects && st.gaps <= 4 {
		return IntentHelp, ev
	}
	if has(kGreet) && !objects && st.gaps <= 4 && !has(kHelp) {
		return IntentGreeting, ev
	}
	if has(kGreet) && has(kHumanW) && st.gaps <= 3 {
		return IntentGreeting, ev
	}
	if has(kHowAreYou) && !objects && st.gaps <= 4 {
		return IntentGreeting, ev // "how are you doing": a greeting, answered as one
	}
	return IntentOutOfScope, ev
}

// readEvents walks the verbs and the refusals of a message.
func readEvents(toks []token, has func(uint8) bool, gaps int, question bool) events {
	var ev events
	periodic := has(kPeriodic) || has(kAuto) || has(kAutoRenew)
	for i, t := range toks {
		switch t.c {
		case kCancel, kCancelSolo, kStop, kDelete, kCancelReq, kCancelPP:
			sc := lookBack(toks, i)
			if t.c == kCancelPP && (sc.q || question) && !sc.want {
				ev.pastCancel = true // "is my membership cancelled?"
				continue
			}
			if condAfter(toks, i) {
				sc.cond = true
			}
			if sc.want || toks[i].pos == 0 || i > 0 && toks[i-1].c == tokClause {
				ev.imperative = true
			}
			if question && abortAfter(toks, i) {
				sc.neg = true
			}
			switch {
			case sc.neg && !sc.cant:
				if t.c != kStop {
					ev.negCancel = true
				}
				continue
			case sc.negPast:
				continue
			case sc.cond:
				if t.c != kStop || findObject(toks, i) == objMember {
					ev.condCancel = true
				}
				continue
			case sc.past:
				ev.pastCancel = true
				continue
			}
			obj := findObject(toks, i)
			if sc.when && (t.c == kStop || obj == objMember) {
				ev.whenStop = true
				continue
			}
			switch obj {
			case objAuto, objRenew:
				ev.offExplicit = true
			case objCharge:
				ev.offImplicit = true
			case objPayment:
				if periodic {
					ev.offExplicit = true
				} else {
					ev.wrongObj = true
				}
			case objMember:
				ev.cancel = true
			case objAccount:
				if t.c == kCancel || t.c == kCancelSolo || t.c == kCancelPP {
					ev.cancel = true
				} else {
					ev.deleteAccount = true
				}
			case objOrder, objOther, objTicket, objRefund:
				ev.wrongObj = true
			default:
				switch t.c {
				case kCancel, kCancelSolo, kCancelReq, kCancelPP:
					ev.cancel = true
				case kStop:
					if has(kPeriodic) && (has(kCharge) || has(kPayment)) {
						ev.offImplicit = true
					}
				}
			}
		case kOn:
			sc := lookBack(toks, i)
			if sc.neg || sc.negPast || sc.cant || sc.past && !sc.want || followedBy(toks, i, 5, kWhen, kExpire) {
				continue
			}
			switch findObject(toks, i) {
			case objMember, objAuto, objRenew, objAccount, objNone:
				ev.onEvent = true
			}
		case kRenew:
			sc := lookBack(toks, i)
			if !sc.neg && !sc.negPast && !sc.cant && !sc.cond && !sc.when {
				if !precededByVerb(toks, i) {
					ev.onEvent = true
				}
			}
		case kNeg, kNegWant, kNoMore:
			refusal(toks, i, &ev)
		case kLetExpire:
			ev.offImplicit = true
		case kKeep:
			if sc := lookBack(toks, i); !sc.neg && !sc.negPast && !sc.cant && !followedBy(toks, i, 6, kRenew, kAutoRenew, kCharge) {
				ev.onEvent = true
			}
		}
	}
	// A bare auto-renew mention ("自动续费", "auto renewal") asks to stop it.
	if !ev.offExplicit && !ev.onEvent && has(kAutoRenew) && len(toks) <= 2 && gaps == 0 {
		only := true
		for _, t := range toks {
			if t.c != kAutoRenew && t.c != kMember {
				only = false
			}
		}
		if only {
			ev.offExplicit = true
		}
	}
	return ev
}

// precededByVerb tells whether a renew token is the object of a verb before
// it (取消续费, stop renewing) rather than a verb itself.
func precededByVerb(toks []token, i int) bool {
	p := toks[i].pos
	for j := i - 1; j >= 0 && p-toks[j].pos <= 4; j-- {
		switch toks[j].c {
		case tokClause:
			return false
		case kCancel, kCancelPP, kCancelSolo, kStop, kDelete, kOn, kNeg, kNegWant, kNoMore, kNegPast, kCant:
			return true
		}
	}
	return false
}

// refusal reads a refusal (不要, don't want, no longer) that is not followed by
// a verb of its own.
func refusal(toks []token, i int, ev *events) {
	n := toks[i]
	// what the refusal is about: the next content token
	sawWant := false
	for j := i + 1; j < len(toks); j++ {
		t := toks[j]
		if t.c == tokClause || t.pos-n.pos > negWindow {
			break
		}
		switch t.c {
		case kWantV, kKeep:
			sawWant = true
			continue
		case kPeriodic, kWantReq, kJust, kAuto, kNeutral, kThanks:
			if t.c == kAuto && j+1 < len(toks) && (toks[j+1].c == kRenew || toks[j+1].c == kCharge || toks[j+1].c == kPayment) {
				ev.offImplicit = true
				return
			}
			continue
		case kRenew, kAutoRenew:
			ev.offImplicit = true
			return
		case kCharge, kPayment:
			if n.c != kNeg || !hasQuestion(toks) {
				ev.offImplicit = true
			}
			return
		case kMember, kAccount:
			if followedBy(toks, j, 5, kRenew, kAutoRenew, kCharge) {
				ev.offImplicit = true // "I don't want my membership to renew"
				return
			}
			if n.c == kNegWant || sawWant || n.c == kNoMore && t.pos == n.pos+1 {
				if t.c == kMember && !(j+1 < len(toks) && objKind(toks[j+1].c) > objAccount && toks[j+1].pos == t.pos+1) {
					ev.cancel = true
				}
			}
			return
		default:
			return // a verb (negated in its own scope) or something else
		}
	}
	// nothing after it in the clause: 会员不要了, "the VIP, I don't need it anymore"
	if n.c == kNeg {
		return
	}
	p := n.pos
	clauses := 0
	for j := i - 1; j >= 0 && p-toks[j].pos <= objBefore; j-- {
		t := toks[j]
		if t.c == tokClause {
			clauses++
			if clauses > 1 {
				return
			}
			continue
		}
		switch t.c {
		case kMember:
			ev.cancel = true
			return
		case kAutoRenew, kRenew:
			ev.offImplicit = true
			return
		case kCancel, kCancelPP, kCancelSolo, kStop, kOn, kOrder, kOther, kRefund, kHuman, kHumanW:
			return
		}
	}
}

func hasQuestion(toks []token) bool {
	for _, t := range toks {
		if t.q {
			return true
		}
	}
	return false
}

// abortAfter tells whether 算了 / 不了 / never mind answers the clause of the
// verb ("取消会员？不了不了"); in the same clause 算了 means "just do it"
// (取消算了), and after a statement 不用了 means "I don't need it".
func abortAfter(toks []token, i int) bool {
	clauses := 0
	for j := i + 1; j < len(toks); j++ {
		switch toks[j].c {
		case tokClause:
			clauses++
			if clauses > 1 {
				return false
			}
		case kAbort:
			return clauses == 1
		case kCancel, kCancelPP, kCancelSolo, kStop:
			if clauses > 0 {
				return false // "算了，还是取消吧" reads the other way
			}
		}
	}
	return false
}

// negatedBefore tells whether every token of concept c is refused (不要人工).
func negatedBefore(toks []token, c uint8) bool {
	found := false
	for i, t := range toks {
		if t.c != c {
			continue
		}
		found = true
		sc := lookBack(toks, i)
		if !sc.neg && !sc.negPast {
			return false
		}
	}
	return found
}

// humanAsked tells whether a person is asked for by name, not refused.
func humanAsked(toks []token, c uint8) bool {
	for i, t := range toks {
		if t.c == c {
			sc := lookBack(toks, i)
			if !sc.neg {
				return true
			}
		}
	}
	return false
}

// refundAsked tells whether money back is asked about, not waived
// (不用退款, "I don't need a refund").
func refundAsked(toks []token) bool {
	for i, t := range toks {
		if t.c == kRefund {
			sc := lookBack(toks, i)
			if !sc.neg {
				return true
			}
		}
	}
	return false
}

// condAfter tells whether 后 / 的话 follows the verb closely (取消后,
// 取消会员之后): a condition, not a request.
func condAfter(toks []token, i int) bool {
	p := toks[i].pos
	for j := i + 1; j < len(toks) && toks[j].pos-p <= 3; j++ {
		switch toks[j].c {
		case tokClause:
			return false
		case kCondAfter:
			return true
		}
	}
	return false
}

// followedBy tells whether one of cs follows toks[i] within w positions in
// its clause.
func followedBy(toks []token, i int, w int32, cs ...uint8) bool {
	for j := i + 1; j < len(toks) && toks[j].pos-toks[i].pos <= w; j++ {
		if toks[j].c == tokClause {
			return false
		}
		for _, c := range cs {
			if toks[j].c == c {
				return true
			}
		}
	}
	return false
}

func hasConcept(toks []token, c uint8) bool {
	for _, t := range toks {
		if t.c == c {
			return true
		}
	}
	return false
}

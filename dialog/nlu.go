package dialog

// NLU: rules for zh-CN and en, no model, no network. Every phrase list is
// compiled once at start-up; a call scans the message once, without regular
// expressions. See nlu_classify.go (intents), nlu_command.go (control words
// and verification methods) and nlu_extract.go (phones, emails, codes,
// work-order numbers, amounts, months).

// Normalize folds full-width forms to ASCII, upper to lower case, common
// traditional characters to simplified, and collapses punctuation and spaces.
// Apostrophes are dropped ("don't" → "dont"); the result is trimmed, and
// Normalize(Normalize(s)) == Normalize(s).
func Normalize(s string) string {
	b, _ := normalizeTo(make([]byte, 0, len(s)), s, false)
	return string(b)
}

// Classify returns the intent of a message read on its own.
func Classify(text string) Intent { return classify(text) }

// DetectLang tells the language a message is written in; ok is false when
// the text does not tell (digits, emoji, a bare phone number).
func DetectLang(text string) (lang Lang, ok bool) { return detectLang(text) }

// Command is a control word that means something inside a flow.
type Command string

// Commands.
const (
	CmdNone       Command = ""
	CmdAbort      Command = "abort"       // 算了, 不取消了, never mind
	CmdRestart    Command = "restart"     // 重新开始, start over
	CmdLangZH     Command = "lang_zh"     // 说中文, Chinese please
	CmdLangEN     Command = "lang_en"     // English please, 说英文
	CmdYes        Command = "yes"         // 确认, 是的, yes, confirm
	CmdNo         Command = "no"          // 不是, no
	CmdSkip       Command = "skip"        // 跳过, skip, 不想说
	CmdResend     Command = "resend"      // 重发, 没收到, resend
	CmdCancelNow  Command = "cancel_now"  // 立即取消, cancel now, 马上退
	CmdNoRenew    Command = "no_renew"    // 到期不续费, 只关自动续费, don't renew
	CmdBareCancel Command = "bare_cancel" // a bare 取消 / cancel: abort or confirm? ask
	// CmdLeave refuses the membership without saying how (不需要了, "I don't
	// need it anymore"): a reason or a wish to cancel, never an abort.
	CmdLeave Command = "leave"
	// CmdLeaveCancel refuses the membership and asks to cancel it (不要了，取消吧).
	CmdLeaveCancel Command = "leave_cancel"
)

// DetectCommand finds the control word a message is, if any.
func DetectCommand(text string) Command { return detectCommand(text) }

// DetectMethod finds a verification method the message asks for.
func DetectMethod(text string) (Method, bool) { return detectMethod(text) }

// ExtractPhone finds a mainland mobile number (spaces, dashes, +86 and
// full-width digits allowed) and returns its 11 digits.
func ExtractPhone(text string) (string, bool) { return extractPhone(text) }

// ExtractEmail finds an email address and returns it in lower case.
func ExtractEmail(text string) (string, bool) { return extractEmail(text) }

// ExtractCode finds a 6-digit verification code ("123456", "123 456").
func ExtractCode(text string) (string, bool) { return extractCode(text) }

// ExtractNumber finds something that looks like a work-order number and
// returns it raw, for ParseNumber to canonicalise and check.
func ExtractNumber(text string) (string, bool) { return extractNumber(text) }

// ExtractAmount finds a money amount ("30", "30元", "¥30.00", "三十块") in fen.
func ExtractAmount(text string) (int64, bool) { return extractAmount(text) }

// ExtractMonth finds a month ("3月", "三月", "March", "2024-03") as 1–12.
func ExtractMonth(text string) (int, bool) { return extractMonth(text) }

package bot

import "strings"

// Masking is how phones and emails appear wherever a person other than the
// member may read them (logs, the agent console's summaries). It is the one
// place masking lives.

// MaskPhone hides the middle of a phone number: "13800138000" → "138****8000".
// Numbers too short to keep both ends show only their last two digits.
func MaskPhone(phone string) string {
	r := []rune(phone)
	switch {
	case len(r) >= 7:
		return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
	case len(r) > 4:
		return strings.Repeat("*", len(r)-2) + string(r[len(r)-2:])
	default:
		return "****"
	}
}

// MaskEmail keeps the first character of the local part and the domain:
// "demo@example.com" → "d***@example.com".
func MaskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return "***"
	}
	local, domain := []rune(email[:at]), email[at:]
	if len(local) == 0 {
		return "***" + domain
	}
	return string(local[0]) + "***" + domain
}

// MaskAccount masks an account identifier, an email or a phone.
func MaskAccount(account string) string {
	if strings.Contains(account, "@") {
		return MaskEmail(account)
	}
	return MaskPhone(account)
}

package agent

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"html/template"
	"net/http"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/locales"
)

// The receipt page is one self-contained file, its style and script inline,
// so a copy saved from the browser keeps its look and needs nothing else.
//
//go:embed receipt
var receiptFiles embed.FS

var (
	receiptTemplate = template.Must(template.ParseFS(receiptFiles, "receipt/receipt.html"))
	receiptCSS      = mustReadReceiptFile("receipt/receipt.css")
	receiptJS       = mustReadReceiptFile("receipt/receipt.js")
)

// receiptCSP lets the page run its own inline style and script, named by
// their hashes, and nothing else; it may not be framed, and it sends no
// Referer, since its address carries the signature.
var receiptCSP = "default-src 'none'; script-src " + cspHash(receiptJS) + "; style-src " + cspHash(receiptCSS) +
	"; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func mustReadReceiptFile(name string) string {
	b, err := receiptFiles.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// receiptView is what the page shows: a genuine receipt (Fields set), or
// why there is none (Heading and Message only).
type receiptView struct {
	Lang             dialog.Lang
	Title            string
	CSS              template.CSS
	JS               template.JS
	Heading, Message string

	Langs         []langLink
	Fields        []receiptField
	SigLabel, Sig string
	Notes         []string
	Print         string
}

type receiptField struct{ Label, Value, Class string }

type langLink struct {
	Lang        dialog.Lang
	Label, Href string
	Current     bool
}

// receiptPage serves GET /receipts/{number}?sig=…: the receipt of a work
// order as a page a member can keep (print, save as PDF), in the language
// of ?lang=, else the browser's, else Chinese. Like the API it needs no
// login and shows the receipt only, never who asked or why; an unknown
// number, a malformed one and a wrong signature get the same 404 page, and
// it shares the API's limit on receipts that could not be verified.
func (c *Console) receiptPage(w http.ResponseWriter, r *http.Request) {
	cat := c.rt.Catalog()
	lang := locales.Negotiate(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"))
	addr, ok := c.receiptGate(w, r)
	if !ok {
		c.writeReceiptPage(w, http.StatusTooManyRequests, receiptView{Lang: lang,
			Heading: cat.MustRender(lang, "receiptpage_too_many_title", nil),
			Message: cat.MustRender(lang, "receiptpage_too_many", nil)})
		return
	}
	sig := r.URL.Query().Get("sig")
	receipt, ok, err := c.checkReceipt(r.Context(), addr, r.PathValue("number"), sig)
	switch {
	case err != nil:
		c.writeReceiptPage(w, http.StatusInternalServerError, receiptView{Lang: lang,
			Heading: cat.MustRender(lang, "receiptpage_unavailable_title", nil),
			Message: cat.MustRender(lang, "receiptpage_unavailable", nil)})
	case !ok:
		c.writeReceiptPage(w, http.StatusNotFound, receiptView{Lang: lang,
			Heading: cat.MustRender(lang, "receiptpage_not_found_title", nil),
			Message: cat.MustRender(lang, "receiptpage_not_found", nil)})
	default:
		c.writeReceiptPage(w, http.StatusOK, c.genuineReceipt(lang, receipt, sig))
	}
}

// genuineReceipt lays out a verified receipt. A call-back request has no
// effect on the membership, so it shows no effective time, refund or
// auto-renew, as in the chat.
func (c *Console) genuineReceipt(lang dialog.Lang, rc bot.Receipt, sig string) receiptView {
	cat := c.rt.Catalog()
	data := dialog.OrderFields(dialog.WorkOrder{
		Number: rc.Number, Kind: rc.Kind, Action: rc.Action, Status: rc.Status, EffectiveAt: rc.EffectiveAt,
		RefundCents: rc.RefundCents, AutoRenew: rc.AutoRenew, CreatedAt: rc.CreatedAt,
	})
	value := func(key string) string { return cat.Value(lang, data[key]) }
	kind := value("Kind")
	if rc.Kind == dialog.KindAgentAction {
		kind = cat.MustRender(lang, "receiptpage_kind_agent", map[string]any{"Action": data["Kind"]})
	}
	title := cat.MustRender(lang, "receiptpage_title", nil)
	v := receiptView{
		Lang:    lang,
		Title:   title + " " + rc.Number,
		Heading: title,
		Message: cat.MustRender(lang, "receiptpage_genuine", nil),
		Fields: []receiptField{
			{cat.MustRender(lang, "receiptpage_number", nil), rc.Number, "number"},
			{cat.MustRender(lang, "receiptpage_kind", nil), kind, ""},
			{cat.MustRender(lang, "receiptpage_status", nil), value("Status"), ""},
			{cat.MustRender(lang, "receiptpage_applied", nil), value("Created"), ""},
		},
		SigLabel: cat.MustRender(lang, "receiptpage_signature", nil),
		Sig:      sig,
		Notes: []string{
			cat.MustRender(lang, "receiptpage_zone", map[string]any{"Zone": c.loc.String()}),
			cat.MustRender(lang, "receiptpage_keep", nil),
		},
		Print: cat.MustRender(lang, "receiptpage_print", nil),
	}
	if rc.Kind != dialog.KindCallback {
		v.Fields = append(v.Fields,
			receiptField{cat.MustRender(lang, "receiptpage_effective", nil), value("Effective"), ""},
			receiptField{cat.MustRender(lang, "receiptpage_refund", nil), value("Refund"), ""},
			receiptField{cat.MustRender(lang, "receiptpage_auto_renew", nil), value("AutoRenew"), ""},
		)
	}
	for _, l := range locales.Langs {
		id, _ := dialog.ButtonLabel(dialog.LangValue(l)) // each language named in its own words
		v.Langs = append(v.Langs, langLink{
			Lang: l, Label: cat.MustRender(l, id, nil), Current: l == lang,
			Href: bot.ReceiptPath(rc.Number, sig) + "&lang=" + string(l),
		})
	}
	return v
}

func (c *Console) writeReceiptPage(w http.ResponseWriter, status int, v receiptView) {
	if v.Title == "" {
		v.Title = v.Heading
	}
	v.CSS, v.JS = template.CSS(receiptCSS), template.JS(receiptJS)
	var buf bytes.Buffer
	if err := receiptTemplate.Execute(&buf, v); err != nil {
		c.log.Error("receipt page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", receiptCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex")
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Accept-Language")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

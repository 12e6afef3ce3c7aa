package agent

import (
	"embed"
	"io/fs"
	"net/http"
)

// The console is plain HTML, CSS and JavaScript: no framework, no build
// step, nothing loaded from elsewhere.
//
//go:embed console
var consoleFiles embed.FS

var consoleFS, _ = fs.Sub(consoleFiles, "console")

// Nothing on the console's pages comes from elsewhere, and they may not be
// framed (no clickjacking of the action buttons).
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func consoleHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", consoleCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
}

// servePage serves GET /agent/: the console.
func (c *Console) servePage(w http.ResponseWriter, r *http.Request) {
	consoleHeaders(w)
	http.ServeFileFS(w, r, consoleFS, "index.html")
}

// serveAsset serves GET /agent/static/{name}: the console's script and
// style sheet.
func (c *Console) serveAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if name == "index.html" {
		http.NotFound(w, r)
		return
	}
	if _, err := fs.Stat(consoleFS, name); err != nil {
		http.NotFound(w, r)
		return
	}
	consoleHeaders(w)
	http.ServeFileFS(w, r, consoleFS, name)
}

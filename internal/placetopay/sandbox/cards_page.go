package sandbox

import (
	"net/http"
	"strings"

	"github.com/placetopay-gateway/gateway/internal/locale"
)

// wantsPage reports whether a GET of the control API comes from a browser, which asks for
// text/html; tools (curl's */*, Go's client with no Accept, application/json) get JSON.
func wantsPage(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// cardsPage is GET /sandbox/cards for a browser: the test cards and what each does, in the
// language of the ?locale= the payment page linked it with, else the browser's.
func (sb *Sandbox) cardsPage(w http.ResponseWriter, r *http.Request) {
	type row struct{ Number, Brand, Does string }
	l := sb.requestLocale(r)
	data := struct {
		L           locale.Locale
		Cards       []row
		JSONCommand string
		Nonce       string
	}{L: l, JSONCommand: "curl " + requestBaseURL(r) + "/sandbox/cards", Nonce: setPagePolicy(w)}
	for _, c := range testCards {
		data.Cards = append(data.Cards, row{c.Number, c.Brand.Name, sb.behaviourText(l, c)})
	}
	sb.render(w, http.StatusOK, "cards.html", data)
}

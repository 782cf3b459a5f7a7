package http

import (
	"net/url"
	"strings"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// returnTarget is where the return page sends the shopper: the order's returnUrl with
// {orderId} and {reference} replaced by the order's, escaped for where they stand (a path
// segment or a query value), so that the storefront knows which order came back. The URL
// says nothing about the status: the storefront reads it from the API.
func returnTarget(o orders.Order) string {
	u, err := url.Parse(o.ReturnURL)
	if err != nil {
		return o.ReturnURL // checked at creation; kept as it is should it not parse
	}
	inPath := strings.NewReplacer("{orderId}", url.PathEscape(o.ID.String()), "{reference}", url.PathEscape(o.Reference))
	inQuery := strings.NewReplacer("{orderId}", url.QueryEscape(o.ID.String()), "{reference}", url.QueryEscape(o.Reference))
	u.RawPath = inPath.Replace(unbrace(u.EscapedPath()))
	u.Path, _ = url.PathUnescape(u.RawPath)
	u.RawQuery = inQuery.Replace(unbrace(u.RawQuery))
	u.Fragment = inPath.Replace(u.Fragment)
	return u.String()
}

// unbrace undoes the escaping of the placeholders' braces in a raw path or query.
func unbrace(s string) string {
	return strings.NewReplacer("%7B", "{", "%7D", "}", "%7b", "{", "%7d", "}").Replace(s)
}

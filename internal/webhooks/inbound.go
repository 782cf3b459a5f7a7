package webhooks

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// Inbox takes PlacetoPay's notifications: it verifies the signature, stores the body raw and
// makes the session due for a query. The body never changes an order by itself.
type Inbox struct {
	sites         map[string]inboxSite
	notifications *orders.Notifications
	received      *prometheus.CounterVec
}

// inboxSite is how one site's notifications are verified.
type inboxSite struct {
	secret     string
	signatures Signatures
}

// NewInbox returns an Inbox verifying with the site's secret key and accepting the given
// signature algorithms. reg receives its metric.
func NewInbox(secretKey string, signatures Signatures, notifications *orders.Notifications, reg prometheus.Registerer) *Inbox {
	if secretKey == "" || signatures == (Signatures{}) || notifications == nil || reg == nil {
		panic("webhooks: NewInbox needs the secret key, an algorithm, the notification intake and a registry")
	}
	in := &Inbox{sites: map[string]inboxSite{orders.DefaultSite: {secret: secretKey, signatures: signatures}}, notifications: notifications,
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_placetopay_notifications_total",
			Help: "PlacetoPay notifications received, by outcome (accepted, duplicate, bad_signature, malformed, other_site, shed) and signature algorithm.",
		}, []string{"outcome", "algorithm"})}
	reg.MustRegister(in.received)
	in.received.WithLabelValues("shed", "unknown") // a series from the start, at 0
	return in
}

// AddSite makes the inbox take the notifications of another site, verified with that site's
// secret key only. It is called while wiring, before the inbox receives anything.
func (in *Inbox) AddSite(name, secretKey string, signatures Signatures) {
	if name == "" || secretKey == "" || signatures == (Signatures{}) {
		panic("webhooks: AddSite needs a name, the secret key and an algorithm")
	}
	in.sites[name] = inboxSite{secret: secretKey, signatures: signatures}
}

// CountShed counts a verified notification refused because too many were being taken in
// (outcome "shed"): PlacetoPay does not send it again, the prober's query finds its payment.
func (in *Inbox) CountShed() {
	in.received.WithLabelValues("shed", "unknown").Inc()
}

// Outcomes of Receive.
var (
	ErrBadSignature = errors.New("webhooks: the notification's signature does not verify")
	ErrMalformed    = errors.New("webhooks: the notification is malformed")
	ErrUnknownSite  = errors.New("webhooks: no such site")
	ErrOtherSite    = errors.New("webhooks: the notification names a session of another site")
)

// Receive handles one notification body of the default site, as ReceiveFor does.
func (in *Inbox) Receive(ctx context.Context, body []byte) error {
	return in.ReceiveFor(ctx, orders.DefaultSite, body)
}

// ReceiveFor handles one notification body sent to site's endpoint: Verify, then Take. An
// unknown site is ErrUnknownSite (answer 404); a notification signed with another site's
// secret is ErrBadSignature, and one naming a session of another site ErrOtherSite (both
// 400, nothing changed). Otherwise it returns ErrBadSignature or ErrMalformed (answer 400,
// nothing changed), another error (answer 500: PlacetoPay will not retry, but the probe still
// finds the payment), or nil (answer 200). An ErrMalformed also wraps the *strictjson.Error
// naming the key at fault, when that is what is wrong.
func (in *Inbox) ReceiveFor(ctx context.Context, site string, body []byte) error {
	v, err := in.Verify(site, body)
	if err != nil {
		return err
	}
	return in.Take(ctx, v)
}

// Verified is a notification whose signature verified with its site's secret, not yet
// stored.
type Verified struct {
	note orders.Notification
	n    placetopay.Notification
	alg  placetopay.Algorithm
}

// Verify checks a notification body sent to site's endpoint without touching the database:
// ErrUnknownSite, ErrBadSignature or ErrMalformed, each counted, as ReceiveFor says. Forged
// and malformed bodies are thus refused before they take any of the intake's capacity.
func (in *Inbox) Verify(site string, body []byte) (Verified, error) {
	s, ok := in.sites[site]
	if !ok {
		return Verified{}, ErrUnknownSite
	}
	n, alg, err := placetopay.VerifyNotification(body, s.secret)
	switch {
	case errors.Is(err, placetopay.ErrBadSignature):
		in.received.WithLabelValues("bad_signature", string(alg)).Inc()
		return Verified{}, ErrBadSignature
	case errors.Is(err, placetopay.ErrMalformedNotification):
		in.received.WithLabelValues("malformed", "unknown").Inc()
		return Verified{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	case err != nil: // signed with an algorithm other than sha1 and sha256
		in.received.WithLabelValues("bad_signature", "unknown").Inc()
		return Verified{}, ErrBadSignature
	case !s.signatures.accepts(alg):
		// A valid signature with an algorithm the site no longer uses: refused like a bad one.
		in.received.WithLabelValues("bad_signature", string(alg)).Inc()
		return Verified{}, ErrBadSignature
	}
	kind := "checkout"
	if n.RequestID == 0 {
		kind = "recurring"
	}
	// Duplicates are the same signed facts: the signed id, status and date, by algorithm.
	// Only verified fields count, so a replay with a re-cased signature or another unsigned
	// field is still a duplicate.
	signedID := int64(n.RequestID)
	if signedID == 0 {
		signedID = int64(n.InternalReference)
	}
	key := sha256.Sum256([]byte(kind + "|" + strconv.FormatInt(signedID, 10) + "|" + n.Status.Status + "|" +
		n.Status.Date + "|" + string(alg)))
	date, _ := n.Status.Time() // zero when it does not parse: the notification then wakes nothing
	note := orders.Notification{
		Kind: kind, RequestID: int64(n.RequestID), InternalReference: int64(n.InternalReference),
		Reference: string(n.Reference), Status: orders.ProviderStatus(n.Status.Status), Date: date, Algorithm: string(alg),
		DedupeKey: key[:], Body: body, Site: site,
	}
	return Verified{note: note, n: n, alg: alg}, nil
}

// Take stores a verified notification and wakes its session's query: ErrOtherSite when it
// names a session of another site, another error when it could not be stored.
func (in *Inbox) Take(ctx context.Context, v Verified) error {
	note, n, alg := v.note, v.n, v.alg
	var (
		dup bool
		err error
	)
	if note.Kind == "recurring" {
		dup, err = in.notifications.AcceptRecurringCharge(ctx, recurringCharge(note, n))
	} else {
		dup, err = in.notifications.AcceptNotification(ctx, note)
	}
	if errors.Is(err, orders.ErrOtherSite) {
		in.received.WithLabelValues("other_site", string(alg)).Inc()
		return ErrOtherSite
	}
	if err != nil {
		return err
	}
	outcome := "accepted"
	if dup {
		outcome = "duplicate"
	}
	in.received.WithLabelValues(outcome, string(alg)).Inc()
	return nil
}

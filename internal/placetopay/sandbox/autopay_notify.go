package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// Autopay calls to the merchant (docs/placetopay.md#autopay-webhooks): PlacetoPay posts webhooks to
// {merchant}/autopay/webhook and approved charges to {merchant}/autopay/settlement, both with
// HTTP Basic credentials the merchant chose. Webhooks are signed
// SHA-256(id + type + date + secretKey); settlements are not signed.

// Autopay webhook types.
const (
	autopayCreated   = "AUTOPAY_CREATED"
	autopayUpdated   = "AUTOPAY_UPDATED"
	autopayCanceled  = "AUTOPAY_CANCELED"
	autopayTxFailed  = "AUTOPAY_TRANSACTION_FAILED"
	autopayDateStyle = "2006-01-02 15:04:05" // the webhook's date, not ISO (docs/placetopay.md#autopay-webhooks)
)

// AutopayCall is one webhook or settlement for the merchant, from the moment it was decided
// to its delivery. The sandbox keeps every one, for GET /sandbox/autopay/calls.
type AutopayCall struct {
	Seq        int             `json:"seq"`
	Kind       string          `json:"kind"` // webhook or settlement
	AutopayID  string          `json:"autopayId"`
	Type       string          `json:"type,omitempty"`
	Body       json.RawMessage `json:"body"`
	Outcome    string          `json:"outcome"` // pending, sent, failed, unsent (no AutopayURL)
	Deliveries []Delivery      `json:"deliveries"`
}

type autopayWebhookBody struct {
	ID         string            `json:"id"`
	Reference  string            `json:"reference"`
	Type       string            `json:"type"`
	Date       string            `json:"date"`
	Signature  string            `json:"signature"`
	Additional map[string]string `json:"additional,omitempty"`
}

// autopayWebhookLocked decides a webhook of type typ about a; it is posted once, after the
// lock is released, and never retried.
func (sb *Sandbox) autopayWebhookLocked(a *autopay, typ string, additional map[string]string, now time.Time) {
	date := now.In(sb.cfg.Location).Format(autopayDateStyle)
	body, err := json.Marshal(autopayWebhookBody{
		ID: a.ID, Reference: a.Reference, Type: typ, Date: date,
		Signature: pp.AutopaySignature(a.ID, typ, date, sb.cfg.SecretKey), Additional: additional,
	})
	if err != nil {
		panic(err)
	}
	c := sb.newAutopayCallLocked("webhook", a.ID, typ, body)
	if c.Outcome == "pending" {
		sb.autopayUnsent = append(sb.autopayUnsent, c)
	}
}

func (sb *Sandbox) newAutopayCallLocked(kind, id, typ string, body []byte) *AutopayCall {
	c := &AutopayCall{Seq: len(sb.autopayCalls) + 1, Kind: kind, AutopayID: id, Type: typ, Body: body, Outcome: "pending"}
	if sb.cfg.AutopayURL == "" {
		c.Outcome = "unsent"
	}
	sb.autopayCalls = append(sb.autopayCalls, c)
	return c
}

// autopayDueLocked takes the webhooks waiting to be posted; the caller delivers them.
func (sb *Sandbox) autopayDueLocked() []*AutopayCall {
	if sb.closed || len(sb.autopayUnsent) == 0 {
		return nil
	}
	due := sb.autopayUnsent
	sb.autopayUnsent = nil
	sb.wg.Add(len(due))
	return due
}

// deliverAutopay posts c once to the merchant and records the answer.
func (sb *Sandbox) deliverAutopay(c *AutopayCall) Delivery {
	path := "/autopay/webhook"
	if c.Kind == "settlement" {
		path = "/autopay/settlement"
	}
	d := sb.postAutopay(path, c.Body)
	sb.update(func() {
		c.Deliveries = append(c.Deliveries, d)
		if d.ok() && c.Outcome != "failed" {
			c.Outcome = "sent"
		} else if !d.ok() {
			c.Outcome = "failed"
		}
	})
	log := sb.cfg.Logger.With(zap.String("kind", c.Kind), zap.String("type", c.Type))
	if d.ok() {
		log.Info("sandbox autopay call delivered", zap.Int("httpStatus", d.Status))
	} else {
		log.Warn("sandbox autopay call not accepted", zap.Int("httpStatus", d.Status), zap.String("error", d.Error))
	}
	return d
}

func (sb *Sandbox) postAutopay(path string, body []byte) Delivery {
	// Sent whatever became of what triggered it, as PlacetoPay's are; the client's timeout
	// bounds it.
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, sb.cfg.AutopayURL+path, bytes.NewReader(body))
	if err != nil {
		return Delivery{Error: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "PlacetoPay-Sandbox/1.0")
	req.SetBasicAuth(sb.cfg.AutopayUser, sb.cfg.AutopayPassword)
	resp, err := sb.cfg.HTTPClient.Do(req)
	if err != nil {
		return Delivery{Error: err.Error()}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return Delivery{Status: resp.StatusCode}
}

// settlementBody is POST {merchant}/autopay/settlement (autopay-openapi.yaml).
type settlementBody struct {
	Reference   string         `json:"reference"`
	ID          string         `json:"id"`
	Transaction settlementTxJS `json:"transaction"`
}

type settlementTxJS struct {
	Status            statusJSON        `json:"status"`
	Date              string            `json:"date"`
	TransactionDate   string            `json:"transactionDate"`
	InternalReference int64             `json:"internalReference"`
	Reference         string            `json:"reference"`
	PaymentMethod     string            `json:"paymentMethod"`
	Franchise         string            `json:"franchise"`
	FranchiseName     string            `json:"franchiseName"`
	IssuerName        string            `json:"issuerName"`
	Amount            amountBase        `json:"amount"`
	Authorization     string            `json:"authorization"`
	Receipt           string            `json:"receipt"`
	Type              string            `json:"type"`
	Refunded          bool              `json:"refunded"`
	LastDigits        string            `json:"lastDigits"`
	Provider          string            `json:"provider"`
	ProcessorFields   map[string]string `json:"processorFields"`
}

// settlementLocked decides the settlement of approved charge t of a; the control API posts
// it synchronously, as PlacetoPay does.
func (sb *Sandbox) settlementLocked(a *autopay, t *transaction) *AutopayCall {
	c := t.Card
	body, err := json.Marshal(settlementBody{Reference: a.Reference, ID: a.ID, Transaction: settlementTxJS{
		Status: statusOf(t.State), Date: t.State.Date, TransactionDate: t.State.Date,
		InternalReference: t.Ref, Reference: t.Reference, PaymentMethod: c.Brand.Franchise,
		Franchise: c.Brand.Method, FranchiseName: c.Brand.Name, IssuerName: c.Brand.Issuer,
		Amount:        amountBase{Currency: t.Amount.Currency, Total: t.Amount.total()},
		Authorization: t.Authorization, Receipt: t.Receipt, Type: "AUTH_ONLY", LastDigits: c.last4(),
		Provider: "INTERDIN", ProcessorFields: map[string]string{"id": randomHex(8), "b24": strconv.FormatInt(t.Ref, 10)},
	}})
	if err != nil {
		panic(err)
	}
	return sb.newAutopayCallLocked("settlement", a.ID, "", body)
}

// handleControlAutopayCalls is GET /sandbox/autopay/calls: every webhook and settlement
// decided, oldest first, with what the merchant answered.
func (sb *Sandbox) handleControlAutopayCalls(w http.ResponseWriter, _ *http.Request) {
	var out listRecord[AutopayCall]
	sb.mu.Lock()
	out.Data = make([]AutopayCall, 0, len(sb.autopayCalls))
	for _, c := range sb.autopayCalls {
		cp := *c
		cp.Deliveries = append([]Delivery(nil), c.Deliveries...)
		out.Data = append(out.Data, cp)
	}
	sb.mu.Unlock()
	sb.writeJSON(w, http.StatusOK, out)
}

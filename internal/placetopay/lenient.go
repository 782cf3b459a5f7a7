package placetopay

import (
	"encoding/json"
)

// A session query answer is read in two parts (docs/placetopay.md#payload-quirks). What the
// gateway decides on is read strictly, and a value of an unexpected type there makes the
// whole answer unreadable: the session's and each transaction's status, internalReference,
// reference and refunded flag. Everything else is read leniently: a value of an unexpected
// type or form is left empty, so that a field the gateway never reads (factor, to,
// agreement, discount…) or only shows (franchise, issuerName, processorFields…) cannot stop
// a payment from being applied. An amount that cannot be read is left out, and then never
// counts (Provider: AmountOK is false).

// UnmarshalJSON reads a transaction: status, internalReference, reference and refunded
// strictly, every other field leniently.
func (t *Transaction) UnmarshalJSON(b []byte) error {
	var w struct {
		Status            Status          `json:"status"`
		InternalReference Int64           `json:"internalReference"`
		Reference         String          `json:"reference"`
		Refunded          bool            `json:"refunded"`
		PaymentMethod     json.RawMessage `json:"paymentMethod"`
		PaymentMethodName json.RawMessage `json:"paymentMethodName"`
		IssuerName        json.RawMessage `json:"issuerName"`
		Amount            json.RawMessage `json:"amount"`
		Authorization     json.RawMessage `json:"authorization"`
		Receipt           json.RawMessage `json:"receipt"`
		Franchise         json.RawMessage `json:"franchise"`
		ProcessorFields   json.RawMessage `json:"processorFields"`
		Dispersion        json.RawMessage `json:"dispersion"`
		Agreement         json.RawMessage `json:"agreement"`
		AgreementType     json.RawMessage `json:"agreementType"`
		Discount          json.RawMessage `json:"discount"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*t = Transaction{Status: w.Status, InternalReference: w.InternalReference, Reference: w.Reference, Refunded: w.Refunded,
		Dispersion: w.Dispersion, Discount: w.Discount}
	decodeOrSkip(w.PaymentMethod, &t.PaymentMethod)
	decodeOrSkip(w.PaymentMethodName, &t.PaymentMethodName)
	decodeOrSkip(w.IssuerName, &t.IssuerName)
	decodeOrSkip(w.Amount, &t.Amount)
	decodeOrSkip(w.Authorization, &t.Authorization)
	decodeOrSkip(w.Receipt, &t.Receipt)
	decodeOrSkip(w.Franchise, &t.Franchise)
	decodeOrSkip(w.ProcessorFields, &t.ProcessorFields)
	decodeOrSkip(w.Agreement, &t.Agreement)
	decodeOrSkip(w.AgreementType, &t.AgreementType)
	return nil
}

// UnmarshalJSON reads a conversion: From, the amount asked for, as it is; To and Factor,
// which the gateway never reads, leniently.
func (a *AmountConversion) UnmarshalJSON(b []byte) error {
	var w struct {
		From   AmountBase      `json:"from"`
		To     json.RawMessage `json:"to"`
		Factor json.RawMessage `json:"factor"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*a = AmountConversion{From: w.From}
	decodeOrSkip(w.To, &a.To)
	decodeOrSkip(w.Factor, &a.Factor)
	return nil
}

// UnmarshalJSON reads an autopay: what the gateway records (id, status, subscription,
// instrument, additional) as it is; who it belongs to (siteId, payer, buyer) and its dates,
// which the gateway never reads, leniently.
func (a *Autopay) UnmarshalJSON(b []byte) error {
	var w struct {
		ID           string               `json:"id"`
		Status       Status               `json:"status"`
		Subscription *AutopaySubscription `json:"subscription"`
		Instrument   *Instrument          `json:"instrument"`
		Additional   *AutopayAdditional   `json:"additional"`
		SiteID       json.RawMessage      `json:"siteId"`
		Payer        json.RawMessage      `json:"payer"`
		Buyer        json.RawMessage      `json:"buyer"`
		AcceptedAt   json.RawMessage      `json:"acceptedAt"`
		CreatedAt    json.RawMessage      `json:"createdAt"`
		UpdatedAt    json.RawMessage      `json:"updatedAt"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*a = Autopay{ID: w.ID, Status: w.Status, Subscription: w.Subscription, Instrument: w.Instrument, Additional: w.Additional}
	decodeOrSkip(w.SiteID, &a.SiteID)
	decodeOrSkip(w.Payer, &a.Payer)
	decodeOrSkip(w.Buyer, &a.Buyer)
	decodeOrSkip(w.AcceptedAt, &a.AcceptedAt)
	decodeOrSkip(w.CreatedAt, &a.CreatedAt)
	decodeOrSkip(w.UpdatedAt, &a.UpdatedAt)
	return nil
}

// decodeOrSkip decodes raw into dst when it can, and leaves dst as it is (empty) when it cannot.
func decodeOrSkip[T any](raw json.RawMessage, dst *T) {
	if len(raw) == 0 {
		return
	}
	var v T
	if json.Unmarshal(raw, &v) == nil {
		*dst = v
	}
}

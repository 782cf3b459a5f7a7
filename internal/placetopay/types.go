package placetopay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Session and transaction statuses (docs/placetopay.md#statuses). OK and FAILED are operation results.
const (
	StatusOK                  = "OK"
	StatusFailed              = "FAILED"
	StatusApproved            = "APPROVED"
	StatusPending             = "PENDING"
	StatusRejected            = "REJECTED"
	StatusApprovedPartial     = "APPROVED_PARTIAL"
	StatusPartialExpired      = "PARTIAL_EXPIRED"
	StatusPendingConfirmation = "PENDING_CONFIRMATION"
	// Older documents also list these two for transactions.
	StatusPendingValidation = "PENDING_VALIDATION"
	StatusRefunded          = "REFUNDED"
)

// Status is PlacetoPay's status object. Date is kept exactly as received: notification
// signatures are computed over that text, never over a re-formatted time.
type Status struct {
	Status  string `json:"status"`
	Reason  String `json:"reason"`
	Message String `json:"message,omitempty"`
	Date    string `json:"date,omitempty"`
}

// Time parses Date (RFC 3339, with or without fractional seconds).
func (s Status) Time() (time.Time, error) { return time.Parse(time.RFC3339Nano, s.Date) }

// Auth is the authentication object every request carries (docs/placetopay.md#the-auth-object).
type Auth struct {
	Login   string `json:"login"`
	TranKey string `json:"tranKey"`
	Nonce   string `json:"nonce"`
	Seed    string `json:"seed"`
}

// Address is a postal address.
type Address struct {
	Street     string `json:"street,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Country    string `json:"country,omitempty"`
	Phone      string `json:"phone,omitempty"`
}

// Person is a buyer, payer or shipping recipient.
type Person struct {
	Document     string   `json:"document,omitempty"`
	DocumentType string   `json:"documentType,omitempty"`
	Name         string   `json:"name,omitempty"`
	Surname      string   `json:"surname,omitempty"`
	Company      string   `json:"company,omitempty"`
	Email        string   `json:"email,omitempty"`
	Mobile       String   `json:"mobile,omitempty"`
	Address      *Address `json:"address,omitempty"`
}

// Tax is one tax inside an amount.
type Tax struct {
	Kind   string   `json:"kind"`
	Amount Decimal  `json:"amount"`
	Base   *Decimal `json:"base,omitempty"`
}

// AmountDetail is an additional detail of an amount (discount, shipping, tip…).
type AmountDetail struct {
	Kind   string  `json:"kind"`
	Amount Decimal `json:"amount"`
}

// Amount is what is charged: an ISO 4217 currency and an exact total.
type Amount struct {
	Currency string         `json:"currency"`
	Total    Decimal        `json:"total"`
	Taxes    []Tax          `json:"taxes,omitempty"`
	Details  []AmountDetail `json:"details,omitempty"`
}

// Item is one line of what is sold.
type Item struct {
	SKU      string   `json:"sku,omitempty"`
	Name     string   `json:"name,omitempty"`
	Category string   `json:"category,omitempty"`
	Qty      Int64    `json:"qty,omitempty"`
	Price    Decimal  `json:"price,omitempty"`
	Tax      *Decimal `json:"tax,omitempty"`
}

// NameValuePair is PlacetoPay's keyword/value/displayOn triple; Value may be any JSON.
type NameValuePair struct {
	Keyword   string          `json:"keyword"`
	Value     json.RawMessage `json:"value,omitempty"`
	DisplayOn string          `json:"displayOn,omitempty"`
}

// NameValuePairs is a list of pairs, also accepting the SOAP-era {"item": [...]} shape.
type NameValuePairs []NameValuePair

// UnmarshalJSON accepts an array, null, {"item": [...]}, or a lone pair object (as the
// documented session query example sends subscription.fields).
func (p *NameValuePairs) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*p = nil
		return nil
	}
	if len(b) > 0 && b[0] == '{' {
		var legacy struct {
			Item    json.RawMessage `json:"item"`
			Keyword *string         `json:"keyword"`
		}
		if err := json.Unmarshal(b, &legacy); err != nil {
			return err
		}
		if legacy.Keyword != nil && legacy.Item == nil {
			var one NameValuePair
			if err := json.Unmarshal(b, &one); err != nil {
				return err
			}
			*p = NameValuePairs{one}
			return nil
		}
		var items []NameValuePair
		if len(legacy.Item) > 0 {
			if err := json.Unmarshal(legacy.Item, &items); err != nil {
				return err
			}
		}
		*p = items
		return nil
	}
	var list []NameValuePair
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*p = list
	return nil
}

// Lookup returns the value of keyword as text (strings unquoted, other JSON as written).
func (p NameValuePairs) Lookup(keyword string) (string, bool) {
	for _, kv := range p {
		if kv.Keyword != keyword {
			continue
		}
		var s string
		if err := json.Unmarshal(kv.Value, &s); err == nil {
			return s, true
		}
		if bytes.Equal(bytes.TrimSpace(kv.Value), []byte("null")) {
			return "", true
		}
		return string(kv.Value), true
	}
	return "", false
}

// Recurring asks PlacetoPay to charge again on a schedule.
type Recurring struct {
	Periodicity     string `json:"periodicity"` // D, M or Y
	Interval        Int64  `json:"interval"`
	NextPayment     string `json:"nextPayment,omitempty"` // YYYY-MM-DD
	MaxPeriods      Int64  `json:"maxPeriods"`            // -1 for no limit
	DueDate         string `json:"dueDate,omitempty"`
	NotificationURL string `json:"notificationUrl,omitempty"`
}

// Dispersion sends part of a payment to another agreement.
type Dispersion struct {
	Agreement     String `json:"agreement,omitempty"`
	AgreementType string `json:"agreementType,omitempty"` // MERCHANT or AIRLINE
	Amount        Amount `json:"amount"`
}

// MarshalJSON sends a numeric agreement as a JSON number, as the OpenAPI document types it
// (DispersionDetail.agreement: number) and PlacetoPay's pages show ("agreement": 30); any other
// agreement is sent as a string.
func (d Dispersion) MarshalJSON() ([]byte, error) {
	var agreement json.RawMessage
	switch a := string(d.Agreement); {
	case a == "":
	case digitsRE.MatchString(a) && (a == "0" || a[0] != '0') && len(a) <= 15:
		agreement = json.RawMessage(a)
	default:
		agreement, _ = json.Marshal(a) // a string: cannot fail
	}
	return json.Marshal(struct {
		Agreement     json.RawMessage `json:"agreement,omitempty"`
		AgreementType string          `json:"agreementType,omitempty"`
		Amount        Amount          `json:"amount"`
	}{agreement, d.AgreementType, d.Amount})
}

// Modifier applies a country-specific tax law to the charge.
type Modifier struct {
	Type       string          `json:"type"`
	Code       Int64           `json:"code,omitempty"`
	Additional json.RawMessage `json:"additional,omitempty"`
}

// PaymentRequest is the payment a session asks for.
type PaymentRequest struct {
	Reference       string         `json:"reference"`
	Description     string         `json:"description,omitempty"`
	Amount          Amount         `json:"amount"`
	AllowPartial    bool           `json:"allowPartial,omitempty"`
	Shipping        *Person        `json:"shipping,omitempty"`
	Items           []Item         `json:"items,omitempty"`
	Fields          NameValuePairs `json:"fields,omitempty"`
	Recurring       *Recurring     `json:"recurring,omitempty"`
	Subscribe       bool           `json:"subscribe,omitempty"`
	Dispersion      []Dispersion   `json:"dispersion,omitempty"`
	Modifiers       []Modifier     `json:"modifiers,omitempty"`
	ProcessorFields NameValuePairs `json:"processorFields,omitempty"`
}

// SubscriptionRequest opens a tokenization-only session.
type SubscriptionRequest struct {
	Reference   string         `json:"reference"`
	Description string         `json:"description,omitempty"`
	Fields      NameValuePairs `json:"fields,omitempty"`
}

// Metadata carries session flags, notably RequiresConfirmation for the confirmation flow.
type Metadata struct {
	InitiatorIndicator   string          `json:"initiatorIndicator,omitempty"`
	EBTDeliveryIndicator string          `json:"EBTDeliveryIndicator,omitempty"`
	OpeningDate          string          `json:"openingDate,omitempty"`
	BeneficiaryID        string          `json:"beneficiaryId,omitempty"`
	Kount                json.RawMessage `json:"kount,omitempty"`
	RequiresConfirmation bool            `json:"requiresConfirmation,omitempty"`
	// Other is the merchant's own metadata, a JSON object, sent alongside the flags above
	// (a flag set above wins over the same name in Other). It is not read back.
	Other json.RawMessage `json:"-"`
}

// MarshalJSON writes the flags and Other's names as one object.
func (m Metadata) MarshalJSON() ([]byte, error) {
	type flags Metadata
	b, err := json.Marshal(flags(m))
	if err != nil || len(m.Other) == 0 {
		return b, err
	}
	var all, other map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(m.Other, &other); err != nil {
		return nil, fmt.Errorf("placetopay: metadata: %w", err)
	}
	for k, v := range other {
		if _, set := all[k]; !set {
			all[k] = v
		}
	}
	return json.Marshal(all)
}

// AutopayRecurring is an autopay schedule.
type AutopayRecurring struct {
	Type            string `json:"type"` // FIXED, MINIMUM_BALANCE or TOTAL_BALANCE
	Periodicity     string `json:"periodicity"`
	Interval        Int64  `json:"interval"`
	NextPayment     string `json:"nextPayment"`
	DueDate         string `json:"dueDate,omitempty"`
	StartDate       string `json:"startDate,omitempty"`
	MaxPeriods      *Int64 `json:"maxPeriods,omitempty"`
	NotificationURL string `json:"notificationUrl,omitempty"`
}

// AutopayRequest creates or edits an autopay enrolment inside a session.
type AutopayRequest struct {
	Action      string            `json:"action"` // CREATE or EDIT
	ID          string            `json:"id,omitempty"`
	Reference   string            `json:"reference"`
	Description string            `json:"description"`
	DueDay      int               `json:"dueDay,omitempty"`
	Recurring   *AutopayRecurring `json:"recurring,omitempty"`
	Amount      *Amount           `json:"amount,omitempty"`
}

// Session types.
const (
	SessionTypeCheckin = "checkin" // preauthorization
	SessionTypeAutopay = "autopay"
)

// CreateSessionRequest is POST /api/session without auth (the client adds it).
type CreateSessionRequest struct {
	Locale        string               `json:"locale,omitempty"`
	Payer         *Person              `json:"payer,omitempty"`
	Buyer         *Person              `json:"buyer,omitempty"`
	Payment       *PaymentRequest      `json:"payment,omitempty"`
	Subscription  *SubscriptionRequest `json:"subscription,omitempty"`
	Fields        NameValuePairs       `json:"fields,omitempty"`
	PaymentMethod string               `json:"paymentMethod,omitempty"`
	Expiration    string               `json:"expiration,omitempty"` // RFC 3339
	IPAddress     string               `json:"ipAddress"`
	UserAgent     string               `json:"userAgent"`
	ReturnURL     string               `json:"returnUrl"`
	CancelURL     string               `json:"cancelUrl,omitempty"`
	SkipResult    bool                 `json:"skipResult,omitempty"`
	NoBuyerFill   bool                 `json:"noBuyerFill,omitempty"`
	Type          string               `json:"type,omitempty"`
	Metadata      *Metadata            `json:"metadata,omitempty"`
	Autopay       *AutopayRequest      `json:"autopay,omitempty"`
}

// CreateSessionResponse is the answer to POST /api/session.
type CreateSessionResponse struct {
	Status     Status `json:"status"`
	RequestID  Int64  `json:"requestId"`
	ProcessURL string `json:"processUrl"`
}

// AmountBase is a currency and total inside a conversion.
type AmountBase struct {
	Currency string  `json:"currency"`
	Total    Decimal `json:"total"`
}

// AmountConversion is what was asked (From) and what was charged (To).
type AmountConversion struct {
	From   AmountBase `json:"from"`
	To     AmountBase `json:"to"`
	Factor Decimal    `json:"factor,omitempty"`
}

// Transaction is one payment attempt inside a session.
type Transaction struct {
	Status            Status            `json:"status"`
	InternalReference Int64             `json:"internalReference"`
	Reference         String            `json:"reference,omitempty"`
	PaymentMethod     string            `json:"paymentMethod,omitempty"`
	PaymentMethodName string            `json:"paymentMethodName,omitempty"`
	IssuerName        string            `json:"issuerName,omitempty"`
	Amount            *AmountConversion `json:"amount,omitempty"`
	Authorization     String            `json:"authorization,omitempty"`
	Receipt           String            `json:"receipt,omitempty"`
	Franchise         string            `json:"franchise,omitempty"`
	Refunded          bool              `json:"refunded"`
	ProcessorFields   NameValuePairs    `json:"processorFields,omitempty"`
	Dispersion        json.RawMessage   `json:"dispersion,omitempty"`
	Agreement         String            `json:"agreement,omitempty"`
	AgreementType     String            `json:"agreementType,omitempty"`
	Discount          json.RawMessage   `json:"discount,omitempty"`
}

// Transactions is a session's payment list, newest first. It decodes null and the legacy
// {"transaction": [...]} shape as well as an array, and a single object as a list of one.
type Transactions []Transaction

// UnmarshalJSON accepts [..], null, {"transaction": [..]} and a lone transaction object.
func (t *Transactions) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*t = nil
		return nil
	case len(b) > 0 && b[0] == '[':
		var list []Transaction
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		*t = list
		return nil
	case len(b) > 0 && b[0] == '{':
		var legacy struct {
			Transaction json.RawMessage `json:"transaction"`
		}
		if err := json.Unmarshal(b, &legacy); err != nil {
			return err
		}
		if legacy.Transaction != nil {
			return t.UnmarshalJSON(legacy.Transaction)
		}
		var one Transaction
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*t = Transactions{one}
		return nil
	}
	return fmt.Errorf("placetopay: payment is neither a list nor an object")
}

// SubscriptionResponse holds the instrument a subscription session tokenized.
type SubscriptionResponse struct {
	Status     Status         `json:"status"`
	Type       string         `json:"type,omitempty"` // token or cuenta/account
	Instrument NameValuePairs `json:"instrument,omitempty"`
}

// SessionInformation is the answer to a session query (RedirectInformation).
type SessionInformation struct {
	RequestID    Int64                 `json:"requestId"`
	Status       Status                `json:"status"`
	Request      json.RawMessage       `json:"request,omitempty"`
	Payment      Transactions          `json:"payment"`
	Subscription *SubscriptionResponse `json:"subscription,omitempty"`
	Autopay      json.RawMessage       `json:"autopay,omitempty"`
}

// LastApprovedTransaction returns the newest approved, not refunded transaction, PlacetoPay
// listing newest first (the rule of the official libraries).
func (s *SessionInformation) LastApprovedTransaction() (Transaction, bool) {
	for _, t := range s.Payment {
		if t.Status.Status == StatusApproved && !t.Refunded {
			return t, true
		}
	}
	return Transaction{}, false
}

// CreateRequest decodes the original request echoed in the query answer.
func (s *SessionInformation) CreateRequest() (CreateSessionRequest, error) {
	var r CreateSessionRequest
	if len(s.Request) == 0 {
		return r, nil
	}
	err := json.Unmarshal(s.Request, &r)
	return r, err
}

package sandbox

import (
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// autopayRequest is the autopay object of a create-session request (docs/placetopay.md#autopay).
type autopayRequest struct {
	Action      string            `json:"action"`
	ID          string            `json:"id"`
	Reference   string            `json:"reference"`
	Description string            `json:"description"`
	DueDay      int               `json:"dueDay"`
	Recurring   *autopayRecurring `json:"recurring"`
	Amount      *amountRequest    `json:"amount"`
}

type autopayRecurring struct {
	Type        string   `json:"type"`
	Periodicity string   `json:"periodicity"`
	Interval    pp.Int64 `json:"interval"`
	NextPayment string   `json:"nextPayment"`
	DueDate     string   `json:"dueDate,omitempty"`
	StartDate   string   `json:"startDate,omitempty"`
}

var isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func (a *autopayRequest) validate() *apiError {
	switch {
	case a.Action != "CREATE" && a.Action != "EDIT":
		return invalid("The autopay action must be CREATE or EDIT.")
	case a.Action == "EDIT" && a.ID == "":
		return invalid("The autopay id is required to edit an autopay.")
	case a.Description == "" || utf8.RuneCountInString(a.Description) > 255:
		return invalid("The autopay description is required and may not be greater than 255 characters.")
	case a.DueDay < 0 || a.DueDay > 28:
		return invalid("The autopay dueDay must be between 1 and 28.")
	case a.Action == "CREATE" && a.Recurring == nil:
		return invalid("The autopay recurring field is required to create an autopay.")
	}
	if e := checkReference(a.Reference); e != nil {
		return e
	}
	if r := a.Recurring; r != nil {
		switch {
		case r.Type != "FIXED" && r.Type != "MINIMUM_BALANCE" && r.Type != "TOTAL_BALANCE":
			return invalid("The autopay recurring type must be FIXED, MINIMUM_BALANCE or TOTAL_BALANCE.")
		case r.Periodicity != "D" && r.Periodicity != "W" && r.Periodicity != "M" && r.Periodicity != "Y":
			return invalid("The autopay recurring periodicity must be D, W, M or Y.")
		case r.Interval < 1:
			return invalid("The autopay recurring interval must be at least 1.")
		case !isoDate.MatchString(r.NextPayment):
			return invalid("The autopay recurring nextPayment must be a date (YYYY-MM-DD).")
		case r.Type == "FIXED" && a.Amount == nil:
			return invalid("The autopay amount is required for FIXED charges.")
		}
	}
	if a.Amount != nil {
		if _, err := a.Amount.parse(false); err != nil {
			return invalid("The autopay amount is not valid: %v.", err)
		}
	}
	return nil
}

// autopay is an enrolment: the sandbox charges its token only when told to, through the
// control API (it does not run PlacetoPay's schedule).
type autopay struct {
	ID                     string
	Reference, Description string
	DueDay                 int
	Recurring              autopayRecurring
	Amount                 *money
	Payer                  any
	State                  state
	Token                  *token `json:"-"`
	SessionID              int64
	CreatedAt, UpdatedAt   time.Time
	Charges                []*transaction `json:"-"`
}

// enrollLocked creates or edits the autopay of an approved autopay session s.
func (sb *Sandbox) enrollLocked(s *session, now time.Time) {
	req := s.Autopay
	a := sb.autopays[req.ID]
	event := autopayUpdated
	if req.Action == "CREATE" || a == nil {
		a = &autopay{ID: randomUUID(), CreatedAt: now}
		sb.autopays[a.ID] = a
		sb.autopayOrder = append(sb.autopayOrder, a)
		event = autopayCreated
	}
	defer func() { sb.autopayWebhookLocked(a, event, nil, now) }()
	a.Reference, a.Description, a.Token, a.SessionID, a.UpdatedAt = req.Reference, req.Description, s.Token, s.ID, now
	a.Payer = s.Request["payer"]
	if req.DueDay != 0 {
		a.DueDay = req.DueDay
	}
	if req.Recurring != nil {
		a.Recurring = *req.Recurring
	}
	if req.Amount != nil {
		m, _ := req.Amount.parse(false) // validated at creation
		a.Amount = &m
	}
	a.State = sb.stateAt(now, pp.StatusApproved, "00", "The autopay is active")
	s.Enrolled = a
}

type autopayJSON struct {
	ID           string              `json:"id"`
	Status       statusJSON          `json:"status"`
	Payer        any                 `json:"payer,omitempty"`
	Subscription autopaySubscription `json:"subscription"`
	Instrument   *autopayInstrument  `json:"instrument,omitempty"`
	Additional   autopayAdditional   `json:"additional"`
	CreatedAt    string              `json:"createdAt"`
	UpdatedAt    string              `json:"updatedAt"`
	AcceptedAt   string              `json:"acceptedAt"`
}

type autopaySubscription struct {
	Reference   string         `json:"reference"`
	Description string         `json:"description"`
	Amount      *amountBase    `json:"amount,omitempty"`
	Recurring   map[string]any `json:"recurring"`
}

type autopayInstrument struct {
	Token map[string]string `json:"token"`
}

type autopayAdditional struct {
	DueDay    int    `json:"dueDay,omitempty"`
	SessionID string `json:"sessionId"`
}

// autopayView is a as queries (checkout schema, integer interval) or searches (autopay
// schema, interval as a string) show it: the two published documents disagree.
func (sb *Sandbox) autopayView(a *autopay, search bool) autopayJSON {
	r := a.Recurring
	rec := map[string]any{"type": r.Type, "periodicity": r.Periodicity, "interval": int64(r.Interval), "nextPayment": r.NextPayment}
	if search {
		rec["interval"] = strconv.FormatInt(int64(r.Interval), 10)
	}
	for k, v := range map[string]string{"dueDate": r.DueDate, "startDate": r.StartDate} {
		if v != "" {
			rec[k] = v
		}
	}
	v := autopayJSON{
		ID: a.ID, Status: statusOf(a.State), Payer: a.Payer,
		Subscription: autopaySubscription{Reference: a.Reference, Description: a.Description, Recurring: rec},
		Additional:   autopayAdditional{DueDay: a.DueDay, SessionID: strconv.FormatInt(a.SessionID, 10)},
		CreatedAt:    sb.date(a.CreatedAt), UpdatedAt: sb.date(a.UpdatedAt), AcceptedAt: sb.date(a.CreatedAt),
	}
	if a.Amount != nil {
		v.Subscription.Amount = &amountBase{Currency: a.Amount.Currency, Total: a.Amount.total()}
	}
	if t := a.Token; t != nil {
		v.Instrument = &autopayInstrument{Token: map[string]string{
			"token": t.Token, "subtoken": t.Subtoken, "franchise": t.Card.Brand.Method,
			"franchiseName": t.Card.Brand.Name, "issuerName": t.Card.Brand.Issuer,
			"lastDigits": t.Card.last4(), "validUntil": t.ValidUntil,
		}}
	}
	return v
}

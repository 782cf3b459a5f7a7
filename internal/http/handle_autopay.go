package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/autopay"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

type autopayRecurringJSON struct {
	Type        string `json:"type"`
	Periodicity string `json:"periodicity"`
	Interval    int64  `json:"interval"`
	NextPayment string `json:"nextPayment"`
	DueDate     string `json:"dueDate,omitempty"`
	StartDate   string `json:"startDate,omitempty"`
	MaxPeriods  *int64 `json:"maxPeriods,omitempty"`
}

type autopayTermsJSON struct {
	Description string                `json:"description"`
	DueDay      *int                  `json:"dueDay"`
	Recurring   *autopayRecurringJSON `json:"recurring"`
	Amount      *amountRequest        `json:"amount"`
	ReturnURL   string                `json:"returnUrl"`
	Locale      string                `json:"locale"`
	IPAddress   string                `json:"ipAddress"` // the payer's; the caller's address when absent
	UserAgent   string                `json:"userAgent"` // the payer's; the caller's User-Agent when absent
}

type createAutopayRequest struct {
	Reference string         `json:"reference"`
	Buyer     *orders.Person `json:"buyer"`
	Payer     *orders.Person `json:"payer"`
	autopayTermsJSON
}

// terms turns the wire terms into domain values, parsing the amount exactly.
func (r *autopayTermsJSON) terms() (autopay.Terms, error) {
	t := autopay.Terms{Description: r.Description, DueDay: r.DueDay}
	if rc := r.Recurring; rc != nil {
		t.Recurring = &autopay.Recurring{Type: rc.Type, Periodicity: rc.Periodicity, Interval: rc.Interval,
			NextPayment: rc.NextPayment, DueDate: rc.DueDate, StartDate: rc.StartDate, MaxPeriods: rc.MaxPeriods}
	}
	if a := r.Amount; a != nil {
		if a.Total == "" {
			return t, &orders.Error{Code: orders.EInvalid, Field: "amount.total", Message: "is required"}
		}
		m, err := orders.ParseMoney(string(a.Total), a.Currency)
		if err != nil {
			return t, renameField(err, "amount.total")
		}
		t.Amount = &m
	}
	return t, nil
}

func (r *autopayTermsJSON) caller(c echo.Context) (ip, ua string) {
	ip, ua = r.IPAddress, r.UserAgent
	if ip == "" {
		ip = c.RealIP()
	}
	if ua == "" {
		ua = c.Request().UserAgent()
	}
	return ip, ua
}

type autopayOpenedJSON struct {
	ID         string         `json:"id"`
	RequestID  int64          `json:"requestId"`
	ProcessURL string         `json:"processUrl"`
	Status     autopay.Status `json:"status"`
}

// handleCreateAutopay is POST /v1/autopay: records an enrolment and opens its autopay
// session at PlacetoPay.
func (s *Server) handleCreateAutopay(c echo.Context) error {
	var req createAutopayRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	t, err := req.terms()
	if err != nil {
		return err
	}
	ip, ua := req.caller(c)
	out, err := s.autopay.Create(c.Request().Context(), autopay.CreateParams{
		Reference: req.Reference, Terms: t, Buyer: req.Buyer, Payer: req.Payer, ReturnURL: req.ReturnURL,
		Locale: req.Locale, IPAddress: ip, UserAgent: ua,
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/autopay/"+out.Enrolment.ID.String())
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusCreated, autopayOpenedJSON{
		ID: out.Enrolment.ID.String(), RequestID: out.RequestID, ProcessURL: out.ProcessURL, Status: out.Enrolment.Status,
	})
}

// handleEditAutopay is PATCH /v1/autopay/{id} and POST /v1/autopay/{id}/edit: opens an
// EDIT session; the enrolment takes the new terms once PlacetoPay reports them.
func (s *Server) handleEditAutopay(c echo.Context) error {
	id, err := autopayID(c)
	if err != nil {
		return err
	}
	var req autopayTermsJSON
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	t, err := req.terms()
	if err != nil {
		return err
	}
	ip, ua := req.caller(c)
	out, err := s.autopay.Edit(c.Request().Context(), id, autopay.EditParams{
		Terms: t, ReturnURL: req.ReturnURL, Locale: req.Locale, IPAddress: ip, UserAgent: ua,
	})
	if err != nil {
		return err
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusCreated, autopayOpenedJSON{
		ID: out.Enrolment.ID.String(), RequestID: out.RequestID, ProcessURL: out.ProcessURL, Status: out.Enrolment.Status,
	})
}

// handleGetAutopay is GET /v1/autopay/{id}; ?refresh=true asks PlacetoPay first.
func (s *Server) handleGetAutopay(c echo.Context) error {
	id, err := autopayID(c)
	if err != nil {
		return err
	}
	refresh, err := refreshParam(c)
	if err != nil {
		return err
	}
	e, err := s.autopay.Get(c.Request().Context(), id, refresh)
	if err != nil {
		return err
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, toAutopayJSON(*e))
}

// handleListAutopay is GET /v1/autopay?reference=&status=&limit=.
func (s *Server) handleListAutopay(c echo.Context) error {
	limit, err := limitParam(c, 20)
	if err != nil {
		return err
	}
	list, err := s.autopay.List(c.Request().Context(), autopay.ListParams{
		Reference: c.QueryParam("reference"), Status: autopay.Status(c.QueryParam("status")), Limit: limit,
	})
	if err != nil {
		return err
	}
	out := struct {
		Data []autopayJSON `json:"data"`
	}{Data: make([]autopayJSON, 0, len(list))}
	for _, e := range list {
		out.Data = append(out.Data, toAutopayJSON(e))
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, out)
}

// handleCancelAutopay is POST /v1/autopay/{id}/cancel.
func (s *Server) handleCancelAutopay(c echo.Context) error {
	id, err := autopayID(c)
	if err != nil {
		return err
	}
	e, err := s.autopay.Cancel(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, toAutopayJSON(*e))
}

func autopayID(c echo.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return uuid.UUID{}, &orders.Error{Code: orders.ENotFound, Field: "id", Message: "autopay " + strconv.Quote(c.Param("id")) + " does not exist"}
	}
	return id, nil
}

type autopaySessionJSON struct {
	RequestID  int64     `json:"requestId"`
	Action     string    `json:"action"`
	ProcessURL string    `json:"processUrl"`
	Status     string    `json:"status"`
	Reason     string    `json:"reason,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
}

type autopayChargeJSON struct {
	InternalReference int64      `json:"internalReference"`
	Status            string     `json:"status"`
	ProviderStatus    string     `json:"providerStatus,omitempty"`
	Reason            string     `json:"reason,omitempty"`
	Amount            *moneyJSON `json:"amount,omitempty"`
	Authorization     string     `json:"authorization,omitempty"`
	Receipt           string     `json:"receipt,omitempty"`
	Franchise         string     `json:"franchise,omitempty"`
	PaymentMethod     string     `json:"paymentMethod,omitempty"`
	Source            string     `json:"source"`
	Deliveries        int        `json:"deliveries"`
	VerifiedAt        *time.Time `json:"verifiedAt,omitempty"`
	CreatedAt         time.Time  `json:"createdAt"`
}

type providerStatusJSON struct {
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// autopayJSON is an enrolment as the merchant API shows it.
type autopayJSON struct {
	ID             string               `json:"id"`
	Reference      string               `json:"reference"`
	Description    string               `json:"description"`
	Status         autopay.Status       `json:"status"`
	AutopayID      string               `json:"autopayId,omitempty"` // PlacetoPay's
	ProviderStatus *providerStatusJSON  `json:"providerStatus,omitempty"`
	DueDay         int                  `json:"dueDay,omitempty"`
	Recurring      autopayRecurringJSON `json:"recurring"`
	Amount         *moneyJSON           `json:"amount,omitempty"`
	Instrument     *autopay.Instrument  `json:"instrument,omitempty"`
	Buyer          *orders.Person       `json:"buyer,omitempty"`
	ReturnURL      string               `json:"returnUrl"`
	Sessions       []autopaySessionJSON `json:"sessions,omitempty"`
	Charges        []autopayChargeJSON  `json:"charges,omitempty"`
	CreatedAt      time.Time            `json:"createdAt"`
	UpdatedAt      time.Time            `json:"updatedAt"`
}

func toAutopayJSON(e autopay.Enrolment) autopayJSON {
	r := e.Recurring
	out := autopayJSON{
		ID: e.ID.String(), Reference: e.Reference, Description: e.Description, Status: e.Status, DueDay: e.DueDay,
		Recurring: autopayRecurringJSON{Type: r.Type, Periodicity: r.Periodicity, Interval: r.Interval, NextPayment: r.NextPayment,
			DueDate: r.DueDate, StartDate: r.StartDate, MaxPeriods: r.MaxPeriods},
		Instrument: e.Instrument, Buyer: e.Buyer, ReturnURL: e.ReturnURL, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
	}
	if e.ProviderID != nil {
		out.AutopayID = e.ProviderID.String()
	}
	if e.ProviderStatus != "" {
		out.ProviderStatus = &providerStatusJSON{Status: e.ProviderStatus, Reason: e.ProviderReason, Message: e.ProviderMessage}
	}
	if e.Amount != nil {
		m := toMoneyJSON(*e.Amount)
		out.Amount = &m
	}
	if e.Sessions != nil {
		out.Sessions = []autopaySessionJSON{}
		for _, x := range e.Sessions {
			out.Sessions = append(out.Sessions, autopaySessionJSON{RequestID: x.RequestID, Action: x.Action,
				ProcessURL: x.ProcessURL, Status: x.Status, Reason: x.Reason, CreatedAt: x.CreatedAt})
		}
	}
	if e.Charges != nil {
		out.Charges = []autopayChargeJSON{}
		for _, ch := range e.Charges {
			cj := autopayChargeJSON{InternalReference: ch.InternalReference, Status: ch.Status, ProviderStatus: ch.ProviderStatus,
				Reason: ch.ProviderReason, Authorization: ch.Authorization, Receipt: ch.Receipt, Franchise: ch.Franchise,
				PaymentMethod: ch.PaymentMethod, Source: ch.Source, Deliveries: ch.Deliveries, VerifiedAt: ch.VerifiedAt,
				CreatedAt: ch.CreatedAt}
			if ch.Amount != nil {
				m := toMoneyJSON(*ch.Amount)
				cj.Amount = &m
			}
			out.Charges = append(out.Charges, cj)
		}
	}
	return out
}

package sandbox

import (
	"strings"
	"time"
)

// behaviour is what a test card does when it pays.
type behaviour string

const (
	approve        behaviour = "approve"
	deny           behaviour = "deny"
	pendingApprove behaviour = "pending then approved"
	pendingReject  behaviour = "pending then rejected"
	approveUnder   behaviour = "approves only under 200 USD"
	approveIfCVV   behaviour = "approves only with expiry 11/28 and CVV 917"
)

// brand is a card network as PlacetoPay reports it on transactions.
type brand struct {
	Method, Name, Franchise, Issuer string
}

var (
	visa   = brand{"visa", "Visa", "CR_VS", "JPMORGAN CHASE BANK, N.A."}
	master = brand{"master", "Mastercard", "CR_MC", "BANCO DE BOGOTA"}
	amex   = brand{"amex", "American Express", "CR_AM", "AMERICAN EXPRESS"}
	diners = brand{"diners", "Diners Club", "CR_DN", "BANCO DAVIVIENDA S.A."}
)

// card is one documented PlacetoPay test card (docs/placetopay.md#test-cards).
type card struct {
	Number    string
	Brand     brand
	Behaviour behaviour
	// Delay overrides Config.PendingDelay for the cards documented as pending for 180 s.
	Delay time.Duration
}

func (c card) last4() string { return c.Number[len(c.Number)-4:] }
func (c card) bin() string   { return c.Number[:6] }

// masked is how the sandbox shows a card: brand and last four digits, never the number.
func (c card) masked() string { return c.Brand.Name + " •••• " + c.last4() }

const slow = 180 * time.Second

var testCards = []card{
	{"4110760000000081", visa, approve, 0},
	{"4110770010002837", visa, approve, 0},
	{"4381080000000029", visa, approve, 0},
	{"4111111111111111", visa, approve, 0}, // 3DS-Y
	{"4110760000000008", visa, approve, 0}, // 3DS-C
	{"4110760000000016", visa, deny, 0},
	{"4005580000000040", visa, deny, 0},
	{"4716375184092180", visa, deny, 0},
	{"4381080000000011", visa, deny, 0},
	{"4110760000000073", visa, pendingApprove, 0},
	{"4509564638437551", visa, pendingApprove, 0},
	{"4048370000000037", visa, pendingReject, 0},
	{"4381080000000003", visa, pendingReject, 0},
	{"4864921336824366", visa, pendingReject, 0},
	{"4931974429847108", visa, pendingReject, 0},
	{"4532034637206853", visa, pendingReject, 0}, // manual review, then rejected
	{"4110760000000024", visa, pendingApprove, slow},
	{"4666666666666669", visa, pendingApprove, slow},
	{"4110760000000115", visa, pendingReject, slow},
	{"4110760000000057", visa, approveUnder, 0},
	{"4012888888881881", visa, approveIfCVV, 0},
	{"5367680000000005", master, approve, 0},
	{"5180300000000005", master, approve, 0}, // 3DS-Y
	{"5367680000000013", master, deny, 0},
	{"5180300000000047", master, pendingApprove, 0}, // 3DS-C
	{"377222581193005", amex, approve, 0},
	{"376651792202224", amex, deny, 0},
	{"36545400000008", diners, approve, 0},
	{"36545400000248", diners, deny, 0},
	{"36545407032806", diners, pendingApprove, 0},
	{"36545407030701", diners, pendingReject, 0},
}

var cardsByNumber = func() map[string]card {
	m := make(map[string]card, len(testCards))
	for _, c := range testCards {
		m[c.Number] = c
	}
	return m
}()

// lookupCard finds a test card by number, ignoring spaces and dashes.
func lookupCard(number string) (card, bool) {
	c, ok := cardsByNumber[strings.NewReplacer(" ", "", "-", "").Replace(number)]
	return c, ok
}

// cardAttempt is a card as entered: the number's card and the optional expiry and CVV.
type cardAttempt struct {
	Card        card
	Expiry, CVV string
}

// outcome resolves the conditional cards into approve or deny for a payment of m; the
// other behaviours are returned as they are.
func (a cardAttempt) outcome(m money) behaviour {
	switch a.Card.Behaviour {
	case approveUnder:
		if m.Currency == "USD" && m.Cents >= 200_00 {
			return deny
		}
		return approve
	case approveIfCVV:
		if strings.ReplaceAll(a.Expiry, " ", "") == "11/28" && a.CVV == "917" {
			return approve
		}
		return deny
	}
	return a.Card.Behaviour
}

// maskNumber shows the last four digits of whatever was typed, for messages.
func maskNumber(number string) string {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, number)
	if len(digits) <= 4 {
		return "••••"
	}
	return "•••• " + digits[len(digits)-4:]
}

package orders

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// validParams returns CreateParams that pass Validate, for each case to break one rule of.
func validParams() CreateParams {
	return CreateParams{
		Reference:   "ORDER-1001",
		Description: "Two coffees",
		Amount:      Money{Minor: 1050, Currency: "USD"},
		Buyer: &Person{
			Document: "1017123456", DocumentType: "CC", Name: "Ana", Surname: "Gómez",
			Email: "ana@example.com", Mobile: "+573001234567",
			Address: &Address{Street: "Calle 10 # 5-20", City: "Medellín", Country: "CO"},
		},
		Items:     []Item{{SKU: "COF-1", Name: "Coffee", Qty: 2, PriceMinor: 525}},
		ReturnURL: "https://shop.example/orders/1001/return",
	}
}

func TestCreateParamsValidate(t *testing.T) {
	items := func(n int) []Item {
		out := make([]Item, n)
		for i := range out {
			out[i] = Item{Name: fmt.Sprintf("item %d", i), Qty: 1, PriceMinor: 1}
		}
		return out
	}
	longURL := func(n int) string {
		base := "https://shop.example/"
		return base + strings.Repeat("a", n-len(base))
	}
	email := func(n int) string { // a valid address n characters long: 40-char local part, one label, .com
		return strings.Repeat("a", 40) + "@" + strings.Repeat("e", n-40-len("@.com")) + ".com"
	}
	tests := []struct {
		name      string
		edit      func(p *CreateParams)
		wantField string // "" when p must pass
	}{
		{"valid", func(*CreateParams) {}, ""},
		{"minimal", func(p *CreateParams) { *p = CreateParams{Description: "d", Amount: Money{1, "CLP"}} }, ""},
		{"no description", func(p *CreateParams) { p.Description = "" }, "description"},
		{"blank description", func(p *CreateParams) { p.Description = "   " }, "description"},
		{"reference 32 chars", func(p *CreateParams) { p.Reference = strings.Repeat("R", 32) }, ""},
		{"reference 32 multibyte chars", func(p *CreateParams) { p.Reference = strings.Repeat("ñ", 32) }, ""},
		{"reference 33 chars", func(p *CreateParams) { p.Reference = strings.Repeat("R", 33) }, "reference"},
		{"reference leading space", func(p *CreateParams) { p.Reference = " ORDER-1" }, "reference"},
		{"reference trailing space", func(p *CreateParams) { p.Reference = "ORDER-1 " }, "reference"},
		{"reference only spaces", func(p *CreateParams) { p.Reference = "   " }, "reference"},
		{"reference non-breaking space", func(p *CreateParams) { p.Reference = "ORDER-1\u00a0" }, "reference"},
		{"reference NUL", func(p *CreateParams) { p.Reference = "ORDER\x001" }, "reference"},
		{"reference newline", func(p *CreateParams) { p.Reference = "ORDER\n1" }, "reference"},
		{"reference C1 control", func(p *CreateParams) { p.Reference = "ORDER\u00851" }, "reference"},
		{"reference invalid UTF-8", func(p *CreateParams) { p.Reference = "ORDER\xff" }, "reference"},
		{"description 250 chars", func(p *CreateParams) { p.Description = strings.Repeat("d", 250) }, ""},
		{"description 251 chars", func(p *CreateParams) { p.Description = strings.Repeat("d", 251) }, "description"},
		{"description control character", func(p *CreateParams) { p.Description = "coffee\x07" }, "description"},
		{"unknown currency", func(p *CreateParams) { p.Amount.Currency = "XXX" }, "amount.currency"},
		{"lowercase currency", func(p *CreateParams) { p.Amount.Currency = "usd" }, "amount.currency"},
		{"no currency", func(p *CreateParams) { p.Amount.Currency = "" }, "amount.currency"},
		{"total 0", func(p *CreateParams) { p.Amount.Minor = 0 }, "amount.total"},
		{"total negative", func(p *CreateParams) { p.Amount.Minor = -100 }, "amount.total"},
		{"returnUrl http", func(p *CreateParams) { p.ReturnURL = "http://localhost:3000/return" }, ""},
		{"returnUrl 255 chars", func(p *CreateParams) { p.ReturnURL = longURL(255) }, ""},
		{"returnUrl 256 chars", func(p *CreateParams) { p.ReturnURL = longURL(256) }, "returnUrl"},
		{"returnUrl ftp", func(p *CreateParams) { p.ReturnURL = "ftp://shop.example/return" }, "returnUrl"},
		{"returnUrl javascript", func(p *CreateParams) { p.ReturnURL = "javascript:alert(1)" }, "returnUrl"},
		{"returnUrl relative path", func(p *CreateParams) { p.ReturnURL = "/orders/1001/return" }, "returnUrl"},
		{"returnUrl without scheme", func(p *CreateParams) { p.ReturnURL = "shop.example/return" }, "returnUrl"},
		{"returnUrl protocol-relative", func(p *CreateParams) { p.ReturnURL = "//shop.example/return" }, "returnUrl"},
		{"returnUrl without host", func(p *CreateParams) { p.ReturnURL = "https:///return" }, "returnUrl"},
		{"returnUrl unparsable", func(p *CreateParams) { p.ReturnURL = "https://shop example/%zz" }, "returnUrl"},
		{"buyer email 80 chars", func(p *CreateParams) { p.Buyer.Email = email(80) }, ""},
		{"buyer email 81 chars", func(p *CreateParams) { p.Buyer.Email = email(81) }, "buyer.email"},
		{"buyer email invalid", func(p *CreateParams) { p.Buyer.Email = "not-an-email" }, "buyer.email"},
		{"buyer email with display name", func(p *CreateParams) { p.Buyer.Email = "Ana <ana@example.com>" }, "buyer.email"},
		{"buyer email leading space", func(p *CreateParams) { p.Buyer.Email = " ana@example.com" }, "buyer.email"},
		{"buyer name with card number", func(p *CreateParams) { p.Buyer.Name = "Ana 4111 1111 1111 1111" }, "buyer.name"},
		{"buyer name with dashed card number", func(p *CreateParams) { p.Buyer.Name = "4111-1111-1111-1111" }, "buyer.name"},
		{"buyer name with 12 digits", func(p *CreateParams) { p.Buyer.Name = "Ana 123456789012" }, ""},
		{"buyer surname with card number", func(p *CreateParams) { p.Buyer.Surname = "4111111111111111" }, "buyer.surname"},
		{"buyer name 61 chars", func(p *CreateParams) { p.Buyer.Name = strings.Repeat("n", 61) }, "buyer.name"},
		{"buyer document 25 chars", func(p *CreateParams) { p.Buyer.Document = strings.Repeat("1", 25) }, ""},
		{"buyer document 26 chars", func(p *CreateParams) { p.Buyer.Document = strings.Repeat("1", 26) }, "buyer.document"},
		{"buyer documentType 7 chars", func(p *CreateParams) { p.Buyer.DocumentType = "PASSPRT" }, "buyer.documentType"},
		{"buyer mobile 31 chars", func(p *CreateParams) { p.Buyer.Mobile = strings.Repeat("3", 31) }, "buyer.mobile"},
		{"buyer address country 3 chars", func(p *CreateParams) { p.Buyer.Address.Country = "COL" }, "buyer.address.country"},
		{"50 items", func(p *CreateParams) { p.Items = items(50) }, ""},
		{"51 items", func(p *CreateParams) { p.Items = items(51) }, "items"},
		{"item qty 0", func(p *CreateParams) { p.Items[0].Qty = 0 }, "items[0].qty"},
		{"item qty negative", func(p *CreateParams) { p.Items[0].Qty = -1 }, "items[0].qty"},
		{"item qty over a million", func(p *CreateParams) { p.Items[0].Qty = 1_000_001 }, "items[0].qty"},
		{"second item without name", func(p *CreateParams) { p.Items = append(p.Items, Item{Qty: 1, PriceMinor: 1}) }, "items[1].name"},
		{"item name 256 chars", func(p *CreateParams) { p.Items[0].Name = strings.Repeat("n", 256) }, "items[0].name"},
		{"item negative price", func(p *CreateParams) { p.Items[0].PriceMinor = -1 }, "items[0].price"},
		{"item negative tax", func(p *CreateParams) { p.Items[0].TaxMinor = -1 }, "items[0].tax"},
		{"item sku 65 chars", func(p *CreateParams) { p.Items[0].SKU = strings.Repeat("s", 65) }, "items[0].sku"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validParams()
			tt.edit(&p)
			err := p.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			wantError(t, err, EInvalid, tt.wantField)
		})
	}
}

func TestErrorCode(t *testing.T) {
	conflict := Errorf(EConflict, "order %s is %s", "o1", StatusPaid)
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"domain", conflict, EConflict},
		{"wrapped domain", fmt.Errorf("orders: cancel: %w", conflict), EConflict},
		{"field", invalidField("reference", "is taken"), EInvalid},
		{"other", errors.New("connection refused"), EInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErrorCode(tt.err); got != tt.want {
				t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
	if got, want := conflict.Error(), "conflict: order o1 is paid"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := invalidField("reference", "is taken").Error(), "invalid: reference: is taken"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

package operators_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"

	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/tokens"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newService(t *testing.T, production bool) (*operators.Service, *clock) {
	t.Helper()
	c := &clock{t: time.Now().UTC()}
	return operators.NewService(pgtest.Pool(t), tokens.Generate(), production, c.now), c
}

func enrolled(t *testing.T, svc *operators.Service, email string, role operators.Role) operators.Added {
	t.Helper()
	ctx := context.Background()
	a, err := svc.Add(ctx, email, role)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Enroll(ctx, operators.EnrollParams{Token: a.EnrollmentToken, Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	return a
}

func code(err error) string { return orders.ErrorCode(err) }

func TestAddGivesTokensOnceAndStoresOnlyHashes(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t, false)
	a, err := svc.Add(ctx, "Ana@Example.com", operators.Support)
	if err != nil {
		t.Fatal(err)
	}
	if a.Email != "ana@example.com" || !strings.HasPrefix(a.APIToken, "op_") || len(a.APIToken) != 3+43 || a.EnrollmentToken == "" {
		t.Fatalf("added = %+v", a.Operator)
	}
	if _, err := svc.Add(ctx, "ana@example.com", operators.Admin); code(err) != orders.EConflict {
		t.Errorf("second add of the email: %v, want conflict", err)
	}
	if _, err := svc.Add(ctx, "not an email", operators.Admin); code(err) != orders.EInvalid {
		t.Errorf("bad email: %v, want invalid", err)
	}
	if _, err := svc.Add(ctx, "b@example.com", "root"); code(err) != orders.EInvalid {
		t.Errorf("bad role: %v, want invalid", err)
	}
	got, err := svc.Authenticate(ctx, a.APIToken)
	if err != nil || got.ID != a.ID || got.Role != operators.Support {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	if _, err := svc.Authenticate(ctx, a.APIToken+"x"); code(err) != orders.EUnauthorized {
		t.Errorf("wrong token: %v", err)
	}
	list, err := svc.List(ctx)
	if err != nil || len(list) != 1 || list[0].Enrolled {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if _, err := svc.Disable(ctx, "ana@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, a.APIToken); code(err) != orders.EUnauthorized {
		t.Errorf("token of a disabled operator: %v", err)
	}
	if _, err := svc.Enroll(ctx, operators.EnrollParams{Token: a.EnrollmentToken, Password: "correct horse battery"}); code(err) != orders.EUnauthorized {
		t.Errorf("enrollment of a disabled operator: %v", err)
	}
}

func TestEnrollmentLinkWorksOnce(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t, false)
	a := enrolled(t, svc, "ops@example.com", operators.Viewer)
	if _, err := svc.Enroll(ctx, operators.EnrollParams{Token: a.EnrollmentToken, Password: "another long password"}); code(err) != orders.EUnauthorized {
		t.Fatalf("second enrollment: %v, want unauthorized", err)
	}
	b, _ := svc.Add(ctx, "short@example.com", operators.Viewer)
	if _, err := svc.Enroll(ctx, operators.EnrollParams{Token: b.EnrollmentToken, Password: "short"}); code(err) != orders.EInvalid {
		t.Fatalf("short password: %v, want invalid", err)
	}
}

func TestSignInLocksAfterFiveFailuresForFifteenMinutes(t *testing.T) {
	ctx := context.Background()
	svc, clk := newService(t, false)
	enrolled(t, svc, "ops@example.com", operators.Support)
	right := operators.SignInParams{Email: "ops@example.com", Password: "correct horse battery"}
	wrong := right
	wrong.Password = "guess"
	for i := range operators.MaxFailures {
		if _, err := svc.SignIn(ctx, wrong); code(err) != orders.EUnauthorized {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	_, err := svc.SignIn(ctx, right)
	if code(err) != orders.EUnauthorized || !strings.Contains(err.Error(), "too many failed sign-ins") {
		t.Fatalf("right password while locked: %v, want locked", err)
	}
	clk.advance(operators.LockoutDuration - time.Second)
	if _, err := svc.SignIn(ctx, right); code(err) != orders.EUnauthorized {
		t.Fatalf("right password one second before the lock ends: %v", err)
	}
	clk.advance(2 * time.Second)
	sess, err := svc.SignIn(ctx, right)
	if err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
	p, err := svc.SessionOf(ctx, sess.Token)
	if err != nil || p.Email != "ops@example.com" || !p.ViaSession() {
		t.Fatalf("SessionOf = %+v, %v", p, err)
	}
	if !p.CheckCSRF(sess.CSRFToken) || p.CheckCSRF(sess.Token) || p.CheckCSRF("") {
		t.Error("CSRF check accepts the wrong token or refuses the right one")
	}
	clk.advance(operators.SessionDuration)
	if _, err := svc.SessionOf(ctx, sess.Token); code(err) != orders.EUnauthorized {
		t.Errorf("expired session: %v", err)
	}
}

func TestFailuresCountOnlyInARow(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t, false)
	enrolled(t, svc, "ops@example.com", operators.Support)
	right := operators.SignInParams{Email: "ops@example.com", Password: "correct horse battery"}
	wrong := operators.SignInParams{Email: "ops@example.com", Password: "nope"}
	for range operators.MaxFailures - 1 {
		_, _ = svc.SignIn(ctx, wrong)
	}
	if _, err := svc.SignIn(ctx, right); err != nil {
		t.Fatal(err)
	}
	for range operators.MaxFailures - 1 {
		_, _ = svc.SignIn(ctx, wrong)
	}
	if _, err := svc.SignIn(ctx, right); err != nil {
		t.Fatalf("a success resets the count: %v", err)
	}
}

func TestAdminNeedsTOTPInProduction(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t, true)
	enrolled(t, svc, "root@example.com", operators.Admin)
	_, err := svc.SignIn(ctx, operators.SignInParams{Email: "root@example.com", Password: "correct horse battery"})
	if code(err) != orders.EUnauthorized || !strings.Contains(err.Error(), "second factor") {
		t.Fatalf("admin without TOTP in production: %v", err)
	}
	enrolled(t, svc, "help@example.com", operators.Support)
	if _, err := svc.SignIn(ctx, operators.SignInParams{Email: "help@example.com", Password: "correct horse battery"}); err != nil {
		t.Fatalf("support without TOTP: %v", err)
	}

	a, _ := svc.Add(ctx, "second@example.com", operators.Admin)
	key, err := operators.NewTOTP("second@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Enroll(ctx, operators.EnrollParams{Token: a.EnrollmentToken, Password: "correct horse battery", TOTPSecret: key.Secret(), Code: "000000x"}); code(err) != orders.EInvalid {
		t.Fatalf("enrollment with a wrong code: %v", err)
	}
	now, _ := totp.GenerateCode(key.Secret(), time.Now())
	if _, err := svc.Enroll(ctx, operators.EnrollParams{Token: a.EnrollmentToken, Password: "correct horse battery", TOTPSecret: key.Secret(), Code: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SignIn(ctx, operators.SignInParams{Email: "second@example.com", Password: "correct horse battery", Code: "123456"}); code(err) != orders.EUnauthorized {
		t.Fatalf("wrong code: %v", err)
	}
	now, _ = totp.GenerateCode(key.Secret(), time.Now())
	if _, err := svc.SignIn(ctx, operators.SignInParams{Email: "second@example.com", Password: "correct horse battery", Code: now}); err != nil {
		t.Fatalf("admin with TOTP: %v", err)
	}
}

func TestAuditLogRefusesUpdateAndDelete(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	svc := operators.NewService(pool, tokens.Generate(), false, nil)
	id := uuid.New()
	if err := operators.Audit(ctx, pool, operators.AuditEntry{Actor: operators.Actor{Kind: operators.ActorOperator, ID: "x", Name: "a@example.com"},
		Action: "refund", OrderID: &id, Reason: "customer asked", After: []byte(`{"amount":"1.00"}`)}); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{`UPDATE audit_log SET reason = 'edited'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		if _, err := pool.Exec(ctx, stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused", stmt, err)
		}
	}
	list, err := svc.AuditLog(ctx, operators.AuditFilter{OrderID: &id})
	if err != nil || len(list) != 1 || list[0].Reason != "customer asked" || string(list[0].After) != `{"amount": "1.00"}` {
		t.Fatalf("AuditLog = %+v, %v", list, err)
	}
}

func TestRoleMatrix(t *testing.T) {
	for _, a := range operators.Actions() {
		if operators.Allowed(operators.Viewer, a) {
			t.Errorf("viewer may %s", a)
		}
		if !operators.Allowed(operators.Admin, a) {
			t.Errorf("admin may not %s", a)
		}
	}
	if operators.Allowed(operators.Admin, "drop_tables") {
		t.Error("an unknown action is allowed")
	}
}

package placetopay

import "testing"

// TestSessionUnknown: the answers that say a session does not exist for this site, and the
// look-alikes that do not (docs/placetopay.md#a-session-placetopay-does-not-know).
func TestSessionUnknown(t *testing.T) {
	for _, tc := range []struct {
		name   string
		code   int
		status Status
		want   bool
	}{
		{"404 request_not_valid", 404, Status{Status: "FAILED", Reason: "request_not_valid", Message: "The requested session does not exist"}, true},
		{"200 FAILED no existe", 200, Status{Status: "FAILED", Reason: "0", Message: "No existe la sesión que busca"}, true},
		{"401 another site", 401, Status{Status: "FAILED", Reason: "unauthorized", Message: "La sesión no pertenece a su sitio"}, true},
		{"404 wrong path", 404, Status{Status: "FAILED", Reason: "NA", Message: "Page not found"}, false},
		{"401 authentication failed", 401, Status{Status: "FAILED", Reason: "401", Message: "Authentication failed 102"}, false},
		{"400 not pending", 400, Status{Status: "FAILED", Reason: "action_not_allowed", Message: "Sessions that are not pending cannot be cancelled"}, false},
		{"500", 500, Status{Status: "FAILED", Reason: "NA", Message: "Internal error"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SessionUnknown(&APIError{HTTPStatus: tc.code, Status: tc.status}); got != tc.want {
				t.Errorf("SessionUnknown(%d %+v) = %v, want %v", tc.code, tc.status, got, tc.want)
			}
		})
	}
}

package main

import (
	"os"
	"testing"

	"github.com/placetopay-gateway/gateway/internal/http/contract"
)

// TestMain fails the package when any gateway answer a test read (through harnessClient or
// testClient) broke the OpenAPI document.
func TestMain(m *testing.M) {
	os.Exit(contract.Finish("cmd-gateway", m.Run()))
}

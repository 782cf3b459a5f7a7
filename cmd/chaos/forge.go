package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
)

// forgeries are the forged notifications the run posted itself, and what they got.
type forgeries struct {
	mu         sync.Mutex
	signatures []string
	answers    map[int]int // HTTP status (0: not delivered) -> count
}

func (f *forgeries) post(ctx context.Context, hc *http.Client, url, secret string, requestID int64, reference string) {
	body, sig := loadtest.Approval(requestID, reference, time.Now().UTC().Format(time.RFC3339), secret+"-forged")
	code := 0
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := hc.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		code = resp.StatusCode
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.answers == nil {
		f.answers = map[int]int{}
	}
	f.signatures = append(f.signatures, sig)
	f.answers[code]++
}

package orders

import (
	"context"
	"crypto/sha256"
)

// requestKeyCtx carries the key of the request an action is made for.
type requestKeyCtx struct{}

// WithRequestKey tells the actions made with ctx which request asks for them: owner (the API
// key's) and the request's Idempotency-Key. A refund remembers it, so that when the same
// request runs again (its first run's answer was never stored, as when its replica died) the
// refund it made is answered again instead of a second one being made.
func WithRequestKey(ctx context.Context, owner, key string) context.Context {
	if key == "" {
		return ctx
	}
	sum := sha256.Sum256([]byte(owner + "\x00" + key))
	return context.WithValue(ctx, requestKeyCtx{}, sum[:])
}

// requestKey is the digest WithRequestKey put in ctx, nil when there is none.
func requestKey(ctx context.Context) []byte {
	k, _ := ctx.Value(requestKeyCtx{}).([]byte)
	return k
}

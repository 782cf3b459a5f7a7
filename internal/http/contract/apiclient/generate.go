package apiclient

// The client is what oapi-codegen, at the version pinned below, generates from the OpenAPI
// document: `make generate` runs this line, and TestGeneratedClientIsCurrent fails when
// apiclient.gen.go is not what it writes today. Only tests use it: it proves that a
// generated client can drive the whole API.
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2 -config oapi-codegen.yaml -o apiclient.gen.go ../../openapi.yaml

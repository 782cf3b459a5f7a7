package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/strictjson"
)

// writeJSON writes v as the whole response.
func writeJSON(c echo.Context, contentType string, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentType, contentType)
	c.Response().WriteHeader(status)
	_, err = c.Response().Write(append(body, '\n'))
	return err
}

// decodeJSON reads the request body into v: exactly one JSON value, every name a field of v
// written once and in its case, strings valid UTF-8 (strictjson). Errors name the field at
// fault, as a path (items[1].tax).
func decodeJSON(c echo.Context, v any) error {
	if ct := c.Request().Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return echo.NewHTTPError(http.StatusUnsupportedMediaType, "the body must be application/json")
		}
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return bodyError(err)
	}
	return decodeBody(body, v)
}

// decodeBody decodes a whole request body into v, as decodeJSON.
func decodeBody(body []byte, v any) error {
	err := strictjson.Unmarshal(body, v, strictjson.RejectUnknown)
	var bad *strictjson.Error
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &bad):
		return &badRequest{detail: "the body could not be decoded: " + err.Error()}
	case bad.Kind == strictjson.WrongType && bad.Field == "":
		return &badRequest{detail: "the body must be a JSON object"}
	case bad.Kind == strictjson.WrongType:
		return &badRequest{field: bad.Field, detail: fmt.Sprintf("%s must be %s", bad.Field, jsonKind(bad.GoType))}
	}
	return &badRequest{field: bad.Field, detail: bad.Error()}
}

// bodyError reports a failure to read the request body.
func bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", tooLarge.Limit))
	}
	return &badRequest{detail: "the body could not be read: " + err.Error()}
}

func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == decimalType {
		return "a decimal number or a string holding one"
	}
	if t == agreementType {
		return "a whole number or a string holding one"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "a whole number"
	}
	return "a number"
}

var decimalType = reflect.TypeOf(decimal(""))

// decimal is a money amount as it arrives: a JSON number or a string, kept as its exact text
// and never parsed through a float.
type decimal string

// UnmarshalJSON accepts 10.5 and "10.5" alike.
func (d *decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = decimal(s)
		return nil
	}
	if len(b) == 0 || !(b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) {
		return &json.UnmarshalTypeError{Value: string(b), Type: decimalType}
	}
	*d = decimal(b)
	return nil
}

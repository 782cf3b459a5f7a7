// Package strictjson decodes JSON that the gateway acts on and someone else wrote: merchant
// requests and the notifications PlacetoPay posts. A body must read the same to every JSON
// parser, so that a check made in front of the gateway sees the values the gateway acts on:
// a name given twice, a name that matches a field only when case is ignored ("AMOUNT" for
// "amount"), invalid UTF-8 and anything after the one value are refused, where Go's
// encoding/json would take the last value, match the name, replace the bytes or stop reading.
//
// The decoding is github.com/go-json-experiment/json (the encoding/json/v2 proposal), whose
// default semantics are these; this package adds the field names and paths that errors
// report, and the case check for bodies whose unknown fields are ignored.
package strictjson

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Policy says what becomes of an object member that names no field.
type Policy int

const (
	// RejectUnknown refuses it: a misspelt field in a merchant's request is an error, never
	// dropped silently.
	RejectUnknown Policy = iota
	// IgnoreUnknown skips it: PlacetoPay may add fields to what it posts at any time
	// (docs/placetopay.md#payload-quirks). A name that matches a field when case is ignored
	// is still refused.
	IgnoreUnknown
)

// Kind is what is wrong with a refused body.
type Kind int

// The kinds of Error.
const (
	Empty        Kind = iota + 1 // nothing but whitespace
	Syntax                       // not one JSON value: bad grammar, invalid UTF-8, trailing data
	Duplicate                    // a name given twice in one object
	CaseMismatch                 // a name that matches a field only when case is ignored
	UnknownField                 // a name that matches no field (RejectUnknown only)
	WrongType                    // a value of the wrong JSON type for its field
)

// Error is a refused body. Field is the member at fault as a path (amount.total,
// items[1].tax), empty when the fault is not inside one member.
type Error struct {
	Kind   Kind
	Field  string
	Name   string       // Duplicate, CaseMismatch, UnknownField: the name as sent
	Want   string       // CaseMismatch: the field's name
	GoType reflect.Type // WrongType: the type the value had to fit
	Err    error        // the decoder's own description, when there is one
}

// Error says what is wrong and where, naming the field as sent.
func (e *Error) Error() string {
	switch e.Kind {
	case Empty:
		return "the body is empty; a JSON object is required"
	case Duplicate:
		return fmt.Sprintf("duplicate field %q: a name may appear only once in an object", e.Field)
	case CaseMismatch:
		return fmt.Sprintf("unknown field %q: names are case-sensitive, the field is %q", e.Field, e.Want)
	case UnknownField:
		return fmt.Sprintf("unknown field %q", e.Field)
	case WrongType:
		msg := e.Field + " has the wrong type"
		if e.Field == "" {
			msg = "the body has the wrong type"
		}
		if e.Err != nil {
			msg += ": " + e.Err.Error()
		}
		return msg
	}
	msg := "the body is not valid JSON: " + e.Err.Error()
	if e.Field != "" {
		msg += " (in " + e.Field + ")"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Unmarshal decodes data, which must be exactly one JSON value, into v, a non-nil pointer.
// Numbers reach the UnmarshalJSON methods of v's types as the exact text sent. Any failure
// is an *Error.
func Unmarshal(data []byte, v any, unknown Policy) error {
	if len(bytes.Trim(data, " \t\r\n")) == 0 {
		return &Error{Kind: Empty}
	}
	root := reflect.TypeOf(v)
	err := json.Unmarshal(data, v, json.RejectUnknownMembers(unknown == RejectUnknown),
		// The defaults, stated: these are the rules the package exists for.
		jsontext.AllowDuplicateNames(false), jsontext.AllowInvalidUTF8(false), json.MatchCaseInsensitiveNames(false))
	if err != nil {
		return describe(root, err)
	}
	if unknown == IgnoreUnknown {
		return checkCase(data, root)
	}
	return nil
}

// describe turns the decoder's error into an *Error naming the member at fault.
func describe(root reflect.Type, err error) *Error {
	var (
		syn *jsontext.SyntacticError
		sem *json.SemanticError
	)
	switch {
	case errors.As(err, &syn):
		e := &Error{Kind: Syntax, Field: fieldPath(root, syn.JSONPointer), Err: syn.Err}
		if errors.Is(err, jsontext.ErrDuplicateName) {
			e.Kind, e.Name = Duplicate, syn.JSONPointer.LastToken()
		}
		return e
	case errors.As(err, &sem) && errors.Is(err, json.ErrUnknownName):
		e := &Error{Kind: UnknownField, Field: fieldPath(root, sem.JSONPointer), Name: sem.JSONPointer.LastToken()}
		if want, ok := foldMatch(sem.GoType, e.Name); ok {
			e.Kind, e.Want = CaseMismatch, want
		}
		return e
	case errors.As(err, &sem):
		return &Error{Kind: WrongType, Field: fieldPath(root, sem.JSONPointer), GoType: sem.GoType, Err: sem.Err}
	}
	return &Error{Kind: Syntax, Err: err}
}

// checkCase refuses a member of data whose name matches a field of root's types only when
// case is ignored. data is known to be valid.
func checkCase(data []byte, root reflect.Type) error {
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	return walk(dec, root, "")
}

func walk(dec *jsontext.Decoder, t reflect.Type, path string) error {
	t = deref(t)
	if t == nil || opaque(t) {
		return dec.SkipValue()
	}
	switch dec.PeekKind() {
	case '{':
		if t.Kind() != reflect.Struct && t.Kind() != reflect.Map {
			return dec.SkipValue()
		}
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
		var names map[string]reflect.Type
		if t.Kind() == reflect.Struct {
			names = fieldsOf(t)
		}
		for dec.PeekKind() != '}' {
			tok, err := dec.ReadToken()
			if err != nil {
				return err
			}
			name := tok.String()
			at := join(path, name)
			if t.Kind() == reflect.Map {
				if err := walk(dec, t.Elem(), at); err != nil {
					return err
				}
				continue
			}
			ft, known := names[name]
			if !known {
				if want, ok := foldMatch(t, name); ok {
					return &Error{Kind: CaseMismatch, Field: at, Name: name, Want: want}
				}
			}
			if err := walk(dec, ft, at); err != nil {
				return err
			}
		}
		_, err := dec.ReadToken()
		return err
	case '[':
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return dec.SkipValue()
		}
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
		for i := 0; dec.PeekKind() != ']'; i++ {
			if err := walk(dec, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err := dec.ReadToken()
		return err
	}
	return dec.SkipValue()
}

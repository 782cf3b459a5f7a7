package strictjson

import (
	"encoding"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	unmarshalerFromType = reflect.TypeFor[json.UnmarshalerFrom]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// opaque reports a type that reads its JSON itself: its members are its own business.
func opaque(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return p.Implements(unmarshalerType) || p.Implements(unmarshalerFromType) || p.Implements(textUnmarshalerType)
}

// deref is t without its pointers; nil stays nil.
func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// fieldsOf returns the JSON names of struct t's fields, and their types, as the decoder
// matches them: the tag's name or else the Go name, embedded structs' fields promoted,
// "-" and unexported fields left out.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := collectFields(t)
	fieldCache.Store(t, m)
	return m
}

// fieldCache holds fieldsOf's answers, by type: the set of types is fixed by the program.
var fieldCache sync.Map

func collectFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, hasTag := sf.Tag.Lookup("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		embedded := (sf.Anonymous && name == "") || hasOption(opts, "inline") || hasOption(opts, "embed")
		if ft := deref(sf.Type); embedded && ft.Kind() == reflect.Struct {
			for n, typ := range fieldsOf(ft) {
				if _, shadowed := out[n]; !shadowed {
					out[n] = typ
				}
			}
			continue
		}
		if !sf.IsExported() || hasOption(opts, "unknown") {
			continue
		}
		if !hasTag || name == "" {
			name = sf.Name
		}
		out[name] = sf.Type
	}
	return out
}

func hasOption(opts, want string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// foldMatch returns the field of struct type t whose name equals name when case is
// ignored, when there is one.
func foldMatch(t reflect.Type, name string) (string, bool) {
	if t = deref(t); t == nil || t.Kind() != reflect.Struct {
		return "", false
	}
	for known := range fieldsOf(t) {
		if strings.EqualFold(known, name) {
			return known, true
		}
	}
	return "", false
}

// fieldPath writes the JSON Pointer p (/items/1/tax) the way the gateway names fields
// (items[1].tax), following root's types to tell array indices from names.
func fieldPath(root reflect.Type, p jsontext.Pointer) string {
	path, t := "", deref(root)
	for tok := range p.Tokens() {
		if t != nil && opaque(t) {
			t = nil
		}
		index := false
		switch {
		case t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
			index, t = true, deref(t.Elem())
		case t != nil && t.Kind() == reflect.Struct:
			t = deref(fieldsOf(t)[tok]) // nil for an unknown name
		case t != nil && t.Kind() == reflect.Map:
			t = deref(t.Elem())
		default: // inside a value of no known shape: digits are taken for an index
			_, err := strconv.ParseUint(tok, 10, 64)
			index, t = err == nil && path != "", nil
		}
		if index {
			path += "[" + tok + "]"
		} else {
			path = join(path, tok)
		}
	}
	return path
}

// join appends name to the path of its object.
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

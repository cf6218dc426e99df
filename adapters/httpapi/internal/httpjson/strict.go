package httpjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// strictKeys refuses what encoding/json lets through in a body it decoded
// into a value of type t: a key given twice in one object, of which the
// last would silently win ({"dry_run":true,"dry_run":false} is no dry
// run), and a key that names a field only when case is ignored. Request
// types are flat structs of scalars, slices, maps and structs, which is
// all it follows; data has already decoded without error.
func strictKeys(data []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return strictValue(dec, t)
}

// strictValue reads one value from dec, which should be of type t (nil
// when unknown), checking the keys of every object in it.
func strictValue(dec *json.Decoder, t reflect.Type) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key := k.(string)
			if seen[key] {
				return BadRequest(fmt.Sprintf("malformed JSON body: key %q appears twice in one object", key))
			}
			seen[key] = true
			elem, err := memberType(t, key)
			if err != nil {
				return err
			}
			if err := strictValue(dec, elem); err != nil {
				return err
			}
		}
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := strictValue(dec, elem); err != nil {
				return err
			}
		}
	default:
		return nil
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

// memberType is the type of the member key of an object of type t: a
// struct's field, whose JSON name must match exactly, or a map's values.
func memberType(t reflect.Type, key string) (reflect.Type, error) {
	if t == nil {
		return nil, nil
	}
	switch t.Kind() {
	case reflect.Map:
		return t.Elem(), nil
	case reflect.Struct:
	default:
		return nil, nil
	}
	var near string
	for f := range t.Fields() {
		name := jsonName(f)
		if name == key {
			return f.Type, nil
		}
		if strings.EqualFold(name, key) {
			near = name
		}
	}
	if near != "" {
		return nil, BadRequest(fmt.Sprintf("malformed JSON body: unknown field %q (keys are case-sensitive: %q)", key, near))
	}
	return nil, BadRequest(fmt.Sprintf("malformed JSON body: unknown field %q", key))
}

// jsonName is the key encoding/json gives a struct field; "" for fields
// it leaves out.
func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return ""
	}
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name
	}
	return f.Name
}

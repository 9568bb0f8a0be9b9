// Package plisttest reads an XML property list (a .mobileconfig) in tests,
// strictly: a value of a kind the profiles do not use, a key without its
// value or a key twice fails the test.
package plisttest

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"testing"
)

// Parse reads an XML property list into map[string]any, []any,
// string, int64, bool and []byte, refusing anything else.
func Parse(t testing.TB, b []byte) map[string]any {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	var root any
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local != "plist" {
			root = value(t, d, se)
		}
	}
	m, ok := root.(map[string]any)
	if !ok {
		t.Fatalf("the plist's root is %T, want a dict", root)
	}
	return m
}

func value(t testing.TB, d *xml.Decoder, se xml.StartElement) any {
	t.Helper()
	text := func() string {
		var s string
		if err := d.DecodeElement(&s, &se); err != nil {
			t.Fatal(err)
		}
		return s
	}
	switch se.Name.Local {
	case "string":
		return text()
	case "integer":
		n, err := strconv.ParseInt(text(), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	case "true", "false":
		_ = d.Skip()
		return se.Name.Local == "true"
	case "data":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text()), ""))
		if err != nil {
			t.Fatal(err)
		}
		return b
	case "dict":
		m := map[string]any{}
		key := ""
		for {
			tok, err := d.Token()
			if err != nil {
				t.Fatal(err)
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				if tok.Name.Local == "key" {
					if err := d.DecodeElement(&key, &tok); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if key == "" {
					t.Fatalf("a %s without its key", tok.Name.Local)
				}
				if _, dup := m[key]; dup {
					t.Fatalf("key %s twice", key)
				}
				m[key], key = value(t, d, tok), ""
			case xml.EndElement:
				return m
			}
		}
	case "array":
		var a []any
		for {
			tok, err := d.Token()
			if err != nil {
				t.Fatal(err)
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				a = append(a, value(t, d, tok))
			case xml.EndElement:
				return a
			}
		}
	}
	t.Fatalf("unknown plist element <%s>", se.Name.Local)
	return nil
}

package httpapi_test

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// xmlElement is an XML element as decodeXMLBody reads it: its text, or its
// children.
type xmlElement struct {
	XMLName  xml.Name
	Text     string       `xml:",chardata"`
	Children []xmlElement `xml:",any"`
}

// decodeXMLBody turns an XML body (E1–E3 with Accept: application/xml) into
// the value its JSON twin would be, so it is checked against the same
// schema: the root's children are the object's members, and each leaf's
// text becomes the type the schema gives that member (a number, a boolean
// or a string), so <value>x</value> fails where the schema wants a number.
func decodeXMLBody(body io.Reader, _ http.Header, schema *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	var root xmlElement
	if err := xml.NewDecoder(body).Decode(&root); err != nil {
		return nil, fmt.Errorf("decoding XML: %w", err)
	}
	return xmlValue(root, schema)
}

func xmlValue(el xmlElement, schema *openapi3.SchemaRef) (any, error) {
	if len(el.Children) > 0 {
		obj := make(map[string]any, len(el.Children))
		for _, c := range el.Children {
			v, err := xmlValue(c, xmlProperty(schema, c.XMLName.Local))
			if err != nil {
				return nil, err
			}
			obj[c.XMLName.Local] = v
		}
		return obj, nil
	}
	text := strings.TrimSpace(el.Text)
	switch {
	case schemaIs(schema, openapi3.TypeNumber), schemaIs(schema, openapi3.TypeInteger):
		return strconv.ParseFloat(text, 64)
	case schemaIs(schema, openapi3.TypeBoolean):
		return strconv.ParseBool(text)
	}
	return text, nil
}

// xmlProperty finds the schema of the member name in schema, looking
// through allOf, anyOf and oneOf; nil when there is none.
func xmlProperty(schema *openapi3.SchemaRef, name string) *openapi3.SchemaRef {
	if schema == nil || schema.Value == nil {
		return nil
	}
	if p, ok := schema.Value.Properties[name]; ok {
		return p
	}
	for _, group := range [][]*openapi3.SchemaRef{schema.Value.AllOf, schema.Value.AnyOf, schema.Value.OneOf} {
		for _, s := range group {
			if p := xmlProperty(s, name); p != nil {
				return p
			}
		}
	}
	return nil
}

func schemaIs(schema *openapi3.SchemaRef, typ string) bool {
	return schema != nil && schema.Value != nil && schema.Value.Type.Is(typ)
}

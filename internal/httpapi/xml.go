package httpapi

import (
	"bytes"
	"encoding/xml"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// XML bodies of the legacy endpoints E1–E3 (contract section 1): a client
// whose Accept header prefers application/xml to application/json gets the
// published spec's XML (account.yml), errors included; JSON stays the
// default, also when both are equally acceptable.
//
// The root element is the endpoint's: accountBalance for E1 (its 401 too,
// as the spec's ErrorAuthenticationFailedAccountBalance says), response for
// E2 and for answers no endpoint produced (a 405, a 503), account-settings
// for E3 (the spec gives its errors no schema; its own root is used).
// Children carry the JSON keys as element names, in the JSON order.

// The XML roots, from the spec's xml.name of each schema.
const (
	xmlRootBalance  = "accountBalance"
	xmlRootResponse = "response"
	xmlRootSettings = "account-settings"
)

// xmlField is one child element of a legacy XML body.
type xmlField struct{ name, value string }

// legacyBody is a legacy answer: JSON by its own encoding, XML by its
// fields.
type legacyBody interface{ xmlFields() []xmlField }

func (e legacyError) xmlFields() []xmlField {
	return []xmlField{{"error-code", e.Code}, {"error-code-label", e.Label}}
}

// writeLegacy answers an E1–E3 request in the body format its client
// prefers.
func (s *server) writeLegacy(w http.ResponseWriter, r *http.Request, status int, body legacyBody) {
	st := stateOf(r)
	if !st.xml {
		s.writeJSON(w, r, status, body)
		return
	}
	writeXML(w, status, st.xmlRootOrDefault(), body.xmlFields())
}

// xmlRootOrDefault is the root of this request's XML answers.
func (st *requestState) xmlRootOrDefault() string {
	if st.xmlRoot == "" {
		return xmlRootResponse
	}
	return st.xmlRoot
}

// writeXML writes root with fields as its children, as the spec's
// examples show them.
func writeXML(w http.ResponseWriter, status int, root string, fields []xmlField) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n<" + root + ">\n")
	for _, f := range fields {
		b.WriteString("  <" + f.name + ">")
		_ = xml.EscapeText(&b, []byte(f.value)) // a bytes.Buffer does not fail
		b.WriteString("</" + f.name + ">\n")
	}
	b.WriteString("</" + root + ">\n")
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes()) // a failed write means the client went away
}

// prefersXML reports whether the Accept header values rank XML
// (application/xml or text/xml) above application/json, by q-value
// (RFC 9110 section 12.5.1): each type takes the q of the most specific
// range that matches it. A tie, or no Accept at all, is JSON.
func prefersXML(accept []string) bool {
	if len(accept) == 0 {
		return false
	}
	qXML := max(acceptQ(accept, "application", "xml"), acceptQ(accept, "text", "xml"))
	return qXML > 0 && qXML > acceptQ(accept, "application", "json")
}

// acceptQ is the q-value the Accept header gives typ/sub: that of the most
// specific matching range, 0 when none matches.
func acceptQ(accept []string, typ, sub string) float64 {
	best, q := 0, 0.0
	for _, header := range accept {
		for _, rng := range strings.Split(header, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(rng))
			if err != nil {
				continue
			}
			rt, rs, _ := strings.Cut(mt, "/")
			spec := 0
			switch {
			case rt == typ && rs == sub:
				spec = 3
			case rt == typ && rs == "*":
				spec = 2
			case rt == "*" && rs == "*":
				spec = 1
			}
			if spec <= best {
				continue
			}
			best, q = spec, 1
			if v, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
					q = f
				} else {
					q = 0
				}
			}
		}
	}
	return q
}

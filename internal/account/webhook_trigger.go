package account

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// InboundSMS is an inbound message an operator triggers
// (POST /admin/accounts/{api_key}/inbound-sms): to is the account's
// virtual number, msisdn the sender. Type is "text" (GSM 03.38
// characters only), "unicode", or empty to choose by the text.
type InboundSMS struct {
	To, MSISDN, Text, Type string
}

// DeliveryReceipt is a delivery receipt an operator triggers
// (POST /admin/accounts/{api_key}/delivery-receipts) for a message the
// account sent: msisdn is the recipient, to the sender id. ErrCode,
// Price and NetworkCode are optional.
type DeliveryReceipt struct {
	MessageID, To, MSISDN, Status, ErrCode, Price, NetworkCode string
}

// ReceiptStatuses are the statuses of a delivery receipt.
var ReceiptStatuses = []string{"delivered", "expired", "failed", "rejected", "accepted", "buffered", "unknown"}

// The lengths of one SMS: 160 GSM 03.38 septets or 70 UTF-16 units alone;
// 153 or 67 in each part of a concatenated message (the rest is the
// concatenation header). A message has at most 255 parts.
const (
	gsmSingle, gsmPart         = 160, 153
	unicodeSingle, unicodePart = 70, 67
	maxParts                   = 255
)

// messageTimestamp is the real platform's message-timestamp format, UTC.
const messageTimestamp = "2006-01-02 15:04:05"

// sctsFormat is a receipt's scts: YYMMDDHHMM, UTC.
const sctsFormat = "0601021504"

// TriggerInboundSMS queues the inbound message in for apiKey's
// mo-callback-url: one delivery per part, as the real platform splits a
// long text (concat, concat-ref, concat-total, concat-part). It returns
// the deliveries queued. ECONFLICT naming mo-callback-url when it is not
// set; EINVALID naming the field at fault.
func (s *Service) TriggerInboundSMS(ctx context.Context, apiKey string, in InboundSMS) ([]Delivery, error) {
	typ, parts, err := in.validate()
	if err != nil {
		return nil, err
	}
	now := s.timestamp()
	base := func(messageID, text string) []Param {
		return []Param{
			{"msisdn", in.MSISDN}, {"to", in.To}, {"messageId", messageID},
			{"text", text}, {"type", typ}, {"keyword", Keyword(text)},
			{"api-key", apiKey}, {"message-timestamp", now.Format(messageTimestamp)},
		}
	}
	ref := strconv.Itoa(int(randomBytes(1)[0]))
	payloads := make([][]Param, len(parts))
	for i, text := range parts {
		p := base(NewMessageID(), text)
		if len(parts) > 1 {
			p = append(p, Param{"concat", "true"}, Param{"concat-ref", ref},
				Param{"concat-total", strconv.Itoa(len(parts))}, Param{"concat-part", strconv.Itoa(i + 1)})
		}
		payloads[i] = p
	}
	return s.enqueue(ctx, apiKey, KindInboundSMS, now, payloads)
}

// TriggerDeliveryReceipt queues the receipt r for apiKey's
// dr-callback-url. ECONFLICT naming dr-callback-url when it is not set;
// EINVALID naming the field at fault.
func (s *Service) TriggerDeliveryReceipt(ctx context.Context, apiKey string, r DeliveryReceipt) ([]Delivery, error) {
	price, err := r.validate()
	if err != nil {
		return nil, err
	}
	now := s.timestamp()
	p := []Param{{"msisdn", r.MSISDN}, {"to", r.To}}
	if r.NetworkCode != "" {
		p = append(p, Param{"network-code", r.NetworkCode})
	}
	p = append(p, Param{"messageId", r.MessageID})
	if price != "" {
		p = append(p, Param{"price", price})
	}
	errCode := r.ErrCode
	if errCode == "" {
		errCode = "0"
	}
	p = append(p, Param{"status", r.Status}, Param{"scts", now.Format(sctsFormat)}, Param{"err-code", errCode},
		Param{"api-key", apiKey}, Param{"message-timestamp", now.Format(messageTimestamp)})
	return s.enqueue(ctx, apiKey, KindDeliveryReceipt, now, [][]Param{p})
}

// enqueue queues one delivery per payload to the account's URL for kind,
// by its webhook method, due now.
func (s *Service) enqueue(ctx context.Context, apiKey, kind string, now time.Time, payloads [][]Param) ([]Delivery, error) {
	acct, err := s.store.Account(ctx, apiKey)
	if err != nil {
		return nil, err
	}
	url, setting := acct.Settings.MoCallbackURL, "mo-callback-url"
	if kind == KindDeliveryReceipt {
		url, setting = acct.Settings.DrCallbackURL, "dr-callback-url"
	}
	if url == "" {
		return nil, &Error{Code: ECONFLICT, Field: setting,
			Message: "is not set: set it with POST /account/settings before triggering a callback"}
	}
	method, err := s.store.WebhookMethod(ctx, apiKey)
	if err != nil {
		return nil, err
	}
	ds := make([]Delivery, len(payloads))
	for i, p := range payloads {
		id, _ := firstParam(p, "messageId")
		ds[i] = Delivery{APIKey: apiKey, Kind: kind, MessageID: id, URL: url, Method: method,
			Params: p, State: DeliveryPending, CreatedAt: now, NextAttemptAt: now}
	}
	ids, err := s.store.EnqueueWebhooks(ctx, ds)
	if err != nil {
		return nil, err
	}
	for i := range ds {
		ds[i].ID = ids[i]
	}
	return ds, nil
}

// Webhooks lists the account's deliveries, newest first, with their
// attempts; see WebhookStore.Webhooks.
func (s *Service) Webhooks(ctx context.Context, apiKey string, before int64, limit int) ([]Delivery, error) {
	if limit < 1 || limit > 1000 {
		return nil, Invalid("limit", "must be from 1 to 1000")
	}
	return s.store.Webhooks(ctx, apiKey, before, limit)
}

// SetWebhookMethod sets the account's webhook method.
func (s *Service) SetWebhookMethod(ctx context.Context, apiKey, method string) error {
	if err := ValidateWebhookMethod(method); err != nil {
		return err
	}
	return s.store.SetWebhookMethod(ctx, apiKey, method)
}

// WebhookMethod returns the account's webhook method.
func (s *Service) WebhookMethod(ctx context.Context, apiKey string) (string, error) {
	return s.store.WebhookMethod(ctx, apiKey)
}

// SignWebhook returns params as they are sent to apiKey's endpoint: when
// the account has a signature secret, with timestamp (now, Unix seconds),
// a fresh nonce and sig, the digest of the others by the account's method
// in the string signed requests use (contract section 1); unchanged
// otherwise. A signature the data key cannot open is an error: sending
// the payload unsigned would tell the endpoint nothing is wrong.
func (s *Service) SignWebhook(ctx context.Context, apiKey string, params []Param) ([]Param, error) {
	stored, found, err := s.store.Signature(ctx, apiKey)
	if err != nil || !found {
		return params, err
	}
	if s.dataKey == nil {
		return nil, Errorf(EINTERNAL, "the account's signature secret cannot be opened: this server has no data key")
	}
	secret, err := s.dataKey.open(apiKey, stored.Sealed)
	if err != nil {
		return nil, Errorf(EINTERNAL, "the account's signature secret cannot be opened with this server's data key")
	}
	out := make([]Param, 0, len(params)+3)
	for _, p := range params {
		if p.Name != "timestamp" && p.Name != "nonce" && p.Name != "sig" {
			out = append(out, p)
		}
	}
	out = append(out, Param{"timestamp", strconv.FormatInt(s.now().Unix(), 10)}, Param{"nonce", NewID()})
	sig := signDigest(stored.Method, string(secret), legacySigningString(signedParams(out)))
	return append(out, Param{"sig", sig}), nil
}

// Keyword is the keyword the real platform derives from an inbound text:
// its first word, upper-cased.
func Keyword(text string) string {
	f := strings.Fields(text)
	if len(f) == 0 {
		return ""
	}
	return strings.ToUpper(f[0])
}

// NewMessageID returns a message id as the real platform writes them: 16
// upper-case hexadecimal digits.
func NewMessageID() string {
	return strings.ToUpper(hex.EncodeToString(randomBytes(8)))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	return b
}

// validate checks the message and returns its type and its parts.
func (in InboundSMS) validate() (typ string, parts []string, err error) {
	if err := checkNumber("to", in.To, false); err != nil {
		return "", nil, err
	}
	if err := checkNumber("msisdn", in.MSISDN, false); err != nil {
		return "", nil, err
	}
	if in.Text == "" || strings.TrimSpace(in.Text) == "" {
		return "", nil, Invalid("text", "is required")
	}
	if !utf8.ValidString(in.Text) || strings.ContainsRune(in.Text, 0) {
		return "", nil, Invalid("text", "must be UTF-8 text without NUL characters")
	}
	gsm := isGSM(in.Text)
	switch in.Type {
	case "":
		typ = "unicode"
		if gsm {
			typ = "text"
		}
	case "text":
		if !gsm {
			return "", nil, Invalid("type", "text allows only GSM 03.38 characters; this text needs unicode")
		}
		typ = "text"
	case "unicode":
		typ = "unicode"
	default:
		return "", nil, Invalid("type", "must be text or unicode")
	}
	if typ == "text" {
		parts = splitText(in.Text, gsmSingle, gsmPart, gsmLen)
	} else {
		parts = splitText(in.Text, unicodeSingle, unicodePart, utf16.RuneLen)
	}
	if len(parts) > maxParts {
		return "", nil, Invalid("text", "is too long: a message has at most %d parts", maxParts)
	}
	return typ, parts, nil
}

// validate checks the receipt and returns its price as the real platform
// writes it (eight decimals), "" when none was given.
func (r DeliveryReceipt) validate() (price string, err error) {
	if r.MessageID == "" || len(r.MessageID) > 40 || !allOf(r.MessageID, isAlnum) {
		return "", Invalid("messageId", "must be 1 to 40 letters and digits")
	}
	if err := checkNumber("to", r.To, true); err != nil {
		return "", err
	}
	if err := checkNumber("msisdn", r.MSISDN, false); err != nil {
		return "", err
	}
	known := false
	for _, st := range ReceiptStatuses {
		known = known || r.Status == st
	}
	if !known {
		return "", Invalid("status", "must be one of %s", strings.Join(ReceiptStatuses, ", "))
	}
	if r.ErrCode != "" && (len(r.ErrCode) > 4 || !allOf(r.ErrCode, isDigit)) {
		return "", Invalid("err-code", "must be 1 to 4 digits")
	}
	if r.NetworkCode != "" && (len(r.NetworkCode) < 5 || len(r.NetworkCode) > 6 || !allOf(r.NetworkCode, isDigit)) {
		return "", Invalid("network-code", "must be an MCCMNC of 5 or 6 digits")
	}
	if r.Price != "" {
		m, err := ParseMoney("price", r.Price)
		if err != nil {
			return "", err
		}
		price = m.Fixed()
	}
	return price, nil
}

// checkNumber accepts 1 to 15 digits (E.164 without '+'), or, with alnum,
// 1 to 15 letters and digits (a sender id).
func checkNumber(field, v string, alnum bool) error {
	ok := isDigit
	what := "digits (an E.164 number without '+')"
	if alnum {
		ok, what = isAlnum, "letters and digits"
	}
	if v == "" || len(v) > 15 || !allOf(v, ok) {
		return Invalid(field, "must be 1 to 15 %s", what)
	}
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func allOf(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// The GSM 03.38 default alphabet (without the escape) and its extension
// table, whose characters take two septets.
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "\f^{}\\[~]|€"
)

// gsmLen is the septets r takes, -1 when it is not in the alphabet.
func gsmLen(r rune) int {
	switch {
	case strings.ContainsRune(gsmBasic, r):
		return 1
	case strings.ContainsRune(gsmExtension, r):
		return 2
	}
	return -1
}

func isGSM(s string) bool {
	for _, r := range s {
		if gsmLen(r) < 0 {
			return false
		}
	}
	return true
}

// splitText cuts s into the parts of an SMS: s itself when it fits in
// single units, else parts of at most part units, never cutting a
// character (an extension septet pair or a surrogate pair) in two.
func splitText(s string, single, part int, units func(rune) int) []string {
	total := 0
	for _, r := range s {
		total += units(r)
	}
	if total <= single {
		return []string{s}
	}
	var parts []string
	start, n := 0, 0
	for i, r := range s {
		u := units(r)
		if n+u > part {
			parts = append(parts, s[start:i])
			start, n = i, 0
		}
		n += u
	}
	return append(parts, s[start:])
}

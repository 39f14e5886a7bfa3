package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// The admin money routes (contract sections 5 and 6): credits, charges, the
// ledger, auto-reload and limits, and the ledger check. Money is always a
// decimal string, parsed exactly by account.ParseMoney and written by
// Money.String, so no amount ever passes through a float.

// newTransaction is one ledger row as the admin API shows it. Amount is
// signed: charges are negative.
func newTransaction(t account.Transaction) adminapi.Transaction {
	return adminapi.Transaction{
		ID:           t.ID,
		Kind:         t.Kind,
		Amount:       t.Amount.String(),
		BalanceAfter: t.BalanceAfter.String(),
		Reference:    t.Reference,
		Trx:          t.Trx,
		RelatedTrx:   t.RelatedTrx,
		CreatedAt:    timestamp(t.CreatedAt),
	}
}

// addCredit implements POST /admin/accounts/{api_key}/credits.
func (s *server) addCredit(w http.ResponseWriter, r *http.Request) { s.moveMoney(w, r, false) }

// addCharge implements POST /admin/accounts/{api_key}/charges.
func (s *server) addCharge(w http.ResponseWriter, r *http.Request) { s.moveMoney(w, r, true) }

// moveMoney reads {"amount":"10.00","reference":"..."} and the optional
// Idempotency-Key header, and moves the money. A replay (same key, same
// body) gets the first answer again, 402 included, marked with
// Idempotent-Replayed: true.
func (s *server) moveMoney(w http.ResponseWriter, r *http.Request, charge bool) {
	req, err := readMoneyRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var res account.MoveResult
	if charge {
		res, err = s.svc.Charge(r.Context(), req)
	} else {
		res, err = s.svc.Credit(r.Context(), req)
	}
	if res.Replayed {
		w.Header().Set(adminapi.HeaderReplayed, "true")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// Balance is the balance right after the movement (its last row's
	// balance_after), so a replay answers byte for byte what the first
	// attempt answered.
	body := adminapi.Movement{Transaction: newTransaction(res.Transaction), Balance: res.Transaction.BalanceAfter.String()}
	if res.Reload != nil {
		rb := newTransaction(*res.Reload)
		body.Reload = &rb
	}
	s.writeJSON(w, r, http.StatusCreated, body)
}

// readMoneyRequest reads the body and Idempotency-Key of a credit or
// charge. Errors name the member at fault and never quote the request.
func readMoneyRequest(r *http.Request) (account.MoneyRequest, error) {
	req := account.MoneyRequest{APIKey: r.PathValue("api_key")}
	if keys := r.Header.Values(adminapi.HeaderIdempotencyKey); len(keys) > 1 {
		return req, badRequest(adminapi.HeaderIdempotencyKey, "must be sent at most once")
	} else if len(keys) == 1 {
		if keys[0] == "" {
			// Most likely an unset variable in the caller's script, which
			// believes it is protected against repeats: say so.
			return req, badRequest(adminapi.HeaderIdempotencyKey, "must not be empty; leave the header out to send no key")
		}
		req.IdempotencyKey = keys[0]
	}
	obj, err := readBodyObject(r)
	if err != nil {
		return req, err
	}
	if unknownMember(obj, "amount", "reference") {
		return req, badRequest("body", "has an unknown member; allowed: amount, reference")
	}
	amount, present, err := jsonString(obj, "amount", "amount")
	if err != nil {
		return req, err
	}
	if !present {
		return req, badRequest("amount", "is required")
	}
	if req.Amount, err = account.ParsePositiveMoney("amount", amount); err != nil {
		return req, err
	}
	if req.Reference, _, err = jsonString(obj, "reference", "reference"); err != nil {
		return req, err
	}
	return req, nil
}

// Pagination of GET .../transactions.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// listTransactions implements GET /admin/accounts/{api_key}/transactions
// ?limit=50&cursor=<next_cursor>. The cursor is the id of the last row of
// the previous page; rows are never removed and new ones get higher ids, so
// walking the cursors visits every row that existed at the first page
// exactly once, whatever is written meanwhile.
func (s *server) listTransactions(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("api_key")
	limit, before, err := readPage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	txs, err := s.svc.Transactions(r.Context(), key, before, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body := adminapi.TransactionsPage{Transactions: make([]adminapi.Transaction, 0, len(txs))}
	for _, t := range txs {
		body.Transactions = append(body.Transactions, newTransaction(t))
	}
	if len(txs) == limit {
		// A full page: say whether anything lies beyond it, so the last
		// page is the one without a cursor.
		last := txs[len(txs)-1].ID
		more, err := s.svc.Transactions(r.Context(), key, last, 1)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if len(more) > 0 {
			body.NextCursor = strconv.FormatInt(last, 10)
		}
	}
	s.writeJSON(w, r, http.StatusOK, body)
}

// readPage reads limit and cursor. Unknown parameters are refused (a typo
// must not silently return the default page); of repeated ones the first
// wins, as everywhere.
func readPage(r *http.Request) (limit int, before int64, err error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return 0, 0, badRequest("query", "is malformed")
	}
	for name := range q {
		if name != "limit" && name != "cursor" {
			return 0, 0, badRequest("query", "has an unknown parameter; allowed: limit, cursor")
		}
	}
	limit = defaultPageSize
	if _, ok := q["limit"]; ok {
		n, ok := positiveInt(q.Get("limit"))
		if !ok || n > maxPageSize {
			return 0, 0, badRequest("limit", "must be an integer from 1 to 1000")
		}
		limit = int(n)
	}
	if _, ok := q["cursor"]; ok {
		n, ok := positiveInt(q.Get("cursor"))
		if !ok {
			return 0, 0, badRequest("cursor", "must be a next_cursor from a previous page")
		}
		before = n
	}
	return limit, before, nil
}

// positiveInt parses 1 to 18 decimal digits (no sign, no space) that are
// not all zero.
func positiveInt(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64) // 18 digits cannot overflow
	return n, err == nil && n > 0
}

// updateAccount implements PATCH /admin/accounts/{api_key}:
// {"auto_reload": null | {"threshold":"5.00","amount":"20.00"}, "limits": {...},
// "signature": ..., "webhook_method": "GET" | "POST" | "POST-JSON"}.
// An absent member is left alone; auto_reload null turns auto-reload off;
// limits names only the limits to change. The answer is the account, as
// GET shows it.
func (s *server) updateAccount(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("api_key")
	upd, limits, sigm, method, err := readAccountUpdate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The signature is checked and sealed before anything is written.
	var sig *account.Signature
	if sigm != nil && !sigm.remove {
		if sig, err = s.svc.PrepareSignature(key, sigm.secret, sigm.method); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if limits != nil {
		// Limits not named keep their values. Two PATCHes racing on
		// different limits can lose one of them; operators do not race.
		acct, _, err := s.svc.AccountDetails(r.Context(), key)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		l := limits.apply(acct.Limits)
		upd.Limits = &l
	}
	if _, err := s.svc.UpdateAccount(r.Context(), key, upd); err != nil {
		s.writeError(w, r, err)
		return
	}
	if sigm != nil {
		if err := s.svc.SetSignature(r.Context(), key, sig); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if method != "" {
		if err := s.svc.SetWebhookMethod(r.Context(), key, method); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	s.showAccount(w, r)
}

// readAccountUpdate reads a PATCH body; the limits come back apart, to be
// applied over the account's current ones, and so do the signature and
// the webhook method ("" when absent), which are stored apart.
func readAccountUpdate(r *http.Request) (upd account.AccountUpdate, limits *limitsPatch, sig *signatureMember, method string, err error) {
	obj, err := readBodyObject(r)
	if err != nil {
		return upd, nil, nil, "", err
	}
	if raw, ok := obj["signature"]; ok {
		if sig, err = readSignature(stateOf(r), raw); err != nil {
			return upd, nil, nil, "", err
		}
	}
	if unknownMember(obj, "auto_reload", "limits", "signature", account.FieldWebhookMethod) {
		return upd, nil, nil, "", badRequest("body", "has an unknown member; allowed: auto_reload, limits, signature, webhook_method")
	}
	if v, present, err := jsonString(obj, account.FieldWebhookMethod, account.FieldWebhookMethod); err != nil || present {
		if err == nil {
			err = account.ValidateWebhookMethod(v)
		}
		if err != nil {
			return upd, nil, nil, "", err
		}
		method = v
	}
	if raw, ok := obj["auto_reload"]; ok {
		upd.SetAutoReload = true
		if upd.AutoReload, err = readAutoReload(raw); err != nil {
			return upd, nil, nil, "", err
		}
	}
	raw, ok := obj["limits"]
	if !ok {
		return upd, nil, sig, method, nil
	}
	if isNull(raw) {
		return upd, nil, nil, "", badRequest("limits", "must be an object; leave it out to keep the limits")
	}
	limits, err = readLimits(raw)
	return upd, limits, sig, method, err
}

// verifyLedger implements GET /admin/ledger/verify: it checks that every
// account's balance is the sum of its ledger and that the rows chain. A
// finding is still a 200; "ok" says whether there was none.
func (s *server) verifyLedger(w http.ResponseWriter, r *http.Request) {
	rep, err := s.svc.VerifyLedger(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body := adminapi.LedgerReport{Accounts: rep.Accounts, Rows: rep.Rows, Problems: make([]adminapi.LedgerProblem, 0, len(rep.Problems)), OK: len(rep.Problems) == 0}
	for _, p := range rep.Problems {
		body.Problems = append(body.Problems, adminapi.LedgerProblem{APIKey: p.APIKey, TransactionID: p.TransactionID, Message: p.Message})
	}
	s.writeJSON(w, r, http.StatusOK, body)
}

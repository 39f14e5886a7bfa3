package dashboard

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// The operator's pages: every account, one account's money, auto-reload
// and limits, and the ledger check.

// accountsPageSize is how many accounts the list shows at once.
const accountsPageSize = 25

// accountsData is the accounts list.
type accountsData struct {
	Query    string
	Accounts []account.Account
	Next     string // the link to the next page; empty on the last
	Paged    bool   // this is not the first page
}

func (d *dash) accountsPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	q, after := r.URL.Query().Get("q"), r.URL.Query().Get("after")
	accts, next, err := d.svc.ListAccounts(r.Context(), account.AccountQuery{Prefix: q, After: after, Limit: accountsPageSize})
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	data := accountsData{Query: q, Accounts: accts, Paged: after != ""}
	if next != "" {
		data.Next = Prefix + "operator/accounts?" + url.Values{"q": {q}, "after": {next}}.Encode()
	}
	d.render(w, r, http.StatusOK, "accounts", page{Title: "Accounts", Data: data}.withViewer(v))
}

// subaccounts lists the subaccounts of primary (the first
// account.MaxAccountPage of them).
func (d *dash) subaccounts(r *http.Request, primary string) ([]account.Account, error) {
	accts, _, err := d.svc.ListAccounts(r.Context(), account.AccountQuery{PrimaryAPIKey: primary, Limit: account.MaxAccountPage})
	return accts, err
}

// moneyForm is a credit or charge form. Idem is the idempotency key of
// this rendering of the form: submitting it twice moves money once.
type moneyForm struct {
	Idem              string
	Amount, Reference string
	Err               string
}

// autoReloadForm and limitsForm are the operator's settings forms, as
// stored or as typed.
type autoReloadForm struct {
	On                bool
	Threshold, Amount string
	Err               string
}

type limitsForm struct {
	Out, In, CPS string
	Err          string
}

// operatorAccountData is an account as the operator sees it.
type operatorAccountData struct {
	Acct           account.Account
	Secrets        []secretRow
	Subaccounts    []account.Account
	Ledger         ledgerView
	Credit, Charge moneyForm
	AutoReload     autoReloadForm
	Limits         limitsForm
}

// forms holds the forms of an operator's account page that a refused
// submission fills in; the others show the account as stored.
type forms struct {
	credit, charge *moneyForm
	autoReload     *autoReloadForm
	limits         *limitsForm
}

func (d *dash) operatorAccountPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	d.renderOperatorAccount(w, r, v, http.StatusOK, forms{})
}

func (d *dash) renderOperatorAccount(w http.ResponseWriter, r *http.Request, v *viewer, status int, f forms) {
	key := r.PathValue("key")
	acct, secrets, err := d.svc.AccountDetails(r.Context(), key)
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	lv, err := d.ledger(r, key)
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	data := operatorAccountData{Acct: acct, Ledger: lv,
		Credit: moneyForm{Idem: newToken()}, Charge: moneyForm{Idem: newToken()},
		AutoReload: autoReloadForm{On: acct.AutoReload != nil},
		Limits: limitsForm{Out: strconv.Itoa(acct.Limits.MaxOutboundRequest), In: strconv.Itoa(acct.Limits.MaxInboundRequest),
			CPS: strconv.Itoa(acct.Limits.MaxCallsPerSecond)}}
	if acct.AutoReload != nil {
		data.AutoReload.Threshold, data.AutoReload.Amount = acct.AutoReload.Threshold.String(), acct.AutoReload.Amount.String()
	}
	for _, s := range secrets {
		data.Secrets = append(data.Secrets, secretRow{ID: s.ID, CreatedAt: s.CreatedAt})
	}
	if acct.PrimaryAPIKey == "" {
		if data.Subaccounts, err = d.subaccounts(r, key); err != nil {
			d.fail(w, r, v, err)
			return
		}
	}
	if f.credit != nil {
		data.Credit = *f.credit
	}
	if f.charge != nil {
		data.Charge = *f.charge
	}
	if f.autoReload != nil {
		data.AutoReload = *f.autoReload
	}
	if f.limits != nil {
		data.Limits = *f.limits
	}
	d.render(w, r, status, "operator_account", page{Title: "Account " + key + " (operator)", Flash: flashes[r.URL.Query().Get("done")], Data: data}.withViewer(v))
}

// accountURL is the operator's page of key with a flash message.
func accountURL(key, done string) string {
	return Prefix + "operator/accounts/" + url.PathEscape(key) + "?done=" + done
}

// moveMoney credits or charges the account from its form. The form's
// idempotency key makes a second submission of the same rendering (a
// double click, a reload) replay the first instead of moving money again.
func (d *dash) moveMoney(kind string) handler {
	return func(w http.ResponseWriter, r *http.Request, v *viewer) {
		key := r.PathValue("key")
		mf := moneyForm{Idem: r.PostFormValue("idem"), Amount: r.PostFormValue("amount"), Reference: r.PostFormValue("reference")}
		res, err := d.move(r, kind, key, mf)
		if e := account.AsError(err); e != nil && e.Code != account.EINTERNAL && e.Code != account.EUNAVAILABLE && e.Code != account.ENOTFOUND {
			mf.Err = e.Message
			f := forms{credit: &mf}
			if kind == account.KindCharge {
				f = forms{charge: &mf}
			}
			d.renderOperatorAccount(w, r, v, statusOf[e.Code], f)
			return
		}
		if err != nil {
			d.fail(w, r, v, err)
			return
		}
		done := kind
		if res.Replayed {
			done = "replayed"
		}
		http.Redirect(w, r, accountURL(key, done), http.StatusSeeOther)
	}
}

func (d *dash) move(r *http.Request, kind, key string, mf moneyForm) (account.MoveResult, error) {
	if mf.Idem == "" {
		return account.MoveResult{}, account.Invalid("idem", "the form has no idempotency key: reload the page")
	}
	amount, err := account.ParsePositiveMoney("amount", mf.Amount)
	if err != nil {
		return account.MoveResult{}, err
	}
	req := account.MoneyRequest{APIKey: key, Amount: amount, Reference: mf.Reference, IdempotencyKey: "dashboard:" + mf.Idem}
	if kind == account.KindCharge {
		return d.svc.Charge(r.Context(), req)
	}
	return d.svc.Credit(r.Context(), req)
}

// saveAutoReload turns auto-reload on with the form's threshold and
// amount, or off.
func (d *dash) saveAutoReload(w http.ResponseWriter, r *http.Request, v *viewer) {
	f := autoReloadForm{On: r.PostFormValue("on") != "", Threshold: r.PostFormValue("threshold"), Amount: r.PostFormValue("amount")}
	upd := account.AccountUpdate{SetAutoReload: true}
	var err error
	if f.On {
		ar := &account.AutoReload{}
		if ar.Threshold, err = account.ParseMoney("threshold", f.Threshold); err == nil {
			ar.Amount, err = account.ParsePositiveMoney("amount", f.Amount)
		}
		upd.AutoReload = ar
	}
	d.update(w, r, v, upd, err, "autoreload", func(msg string) forms { f.Err = msg; return forms{autoReload: &f} })
}

// saveLimits sets the account's three limits.
func (d *dash) saveLimits(w http.ResponseWriter, r *http.Request, v *viewer) {
	f := limitsForm{Out: r.PostFormValue("out"), In: r.PostFormValue("in"), CPS: r.PostFormValue("cps")}
	var l account.Limits
	var err error
	for _, p := range []struct {
		field, v string
		dst      *int
	}{{"max-outbound-request", f.Out, &l.MaxOutboundRequest}, {"max-inbound-request", f.In, &l.MaxInboundRequest}, {"max-calls-per-second", f.CPS, &l.MaxCallsPerSecond}} {
		n, perr := strconv.Atoi(p.v)
		if perr != nil && err == nil {
			err = account.Invalid(p.field, "must be a whole number")
		}
		*p.dst = n
	}
	d.update(w, r, v, account.AccountUpdate{Limits: &l}, err, "limits", func(msg string) forms { f.Err = msg; return forms{limits: &f} })
}

// update applies upd unless parsing the form failed already (err); a
// refusal is shown in the form refused returns.
func (d *dash) update(w http.ResponseWriter, r *http.Request, v *viewer, upd account.AccountUpdate, err error, done string, refused func(msg string) forms) {
	key := r.PathValue("key")
	if err == nil {
		_, err = d.svc.UpdateAccount(r.Context(), key, upd)
	}
	if field, msg, ok := fieldError(err); ok {
		d.renderOperatorAccount(w, r, v, http.StatusBadRequest, refused(field+" "+msg))
		return
	}
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, accountURL(key, done), http.StatusSeeOther)
}

// ledgerPage runs the ledger check and shows what it found.
func (d *dash) ledgerPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	rep, err := d.svc.VerifyLedger(r.Context())
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	d.render(w, r, http.StatusOK, "ledger", page{Title: "Ledger check", Data: rep}.withViewer(v))
}

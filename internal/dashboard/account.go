package dashboard

import (
	"html/template"
	"net/http"
	"strconv"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// The account's own page: balance, ledger, settings, secrets and, for a
// primary account, its subaccounts.

// txPageSize is how many ledger rows a page lists; chartRows how many the
// balance chart draws.
const (
	txPageSize = 20
	chartRows  = 200
)

// flashes are the fixed messages a redirect after a form can name
// (?done=…); nothing from the request is ever echoed.
var flashes = map[string]string{
	"settings":   "Settings saved.",
	"revoked":    "Secret revoked.",
	"credit":     "Credit recorded.",
	"charge":     "Charge recorded.",
	"replayed":   "That form had already been submitted: the money moved once, as shown.",
	"autoreload": "Auto-reload saved.",
	"limits":     "Limits saved.",
	"ownrevoked": "You revoked the secret you signed in with: sign in with another.",
}

// ledgerView is a page of an account's ledger with its chart.
type ledgerView struct {
	Chart     template.HTML
	Rows      []account.Transaction
	Older     int64 // the before= of the next page; 0 when this is the last
	Paginated bool  // this is not the first page
}

// settingsForm is the callback URLs form, as stored or as typed, with the
// message of the field that was refused.
type settingsForm struct {
	Mo, Dr       string
	MoErr, DrErr string
}

// accountData is the account page.
type accountData struct {
	Acct        account.Account
	Ledger      ledgerView
	Settings    settingsForm
	Secrets     secretsView
	Subaccounts []account.Account
	Primary     bool // may have subaccounts
}

// ledger reads the chart's rows and one page of the ledger of key, the
// page before the before query parameter.
func (d *dash) ledger(r *http.Request, key string) (ledgerView, error) {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	before = max(before, 0)
	recent, err := d.svc.Transactions(r.Context(), key, 0, chartRows)
	if err != nil {
		return ledgerView{}, err
	}
	rows := recent
	if before > 0 {
		if rows, err = d.svc.Transactions(r.Context(), key, before, txPageSize+1); err != nil {
			return ledgerView{}, err
		}
	}
	lv := ledgerView{Chart: balanceChart(recent), Paginated: before > 0}
	if len(rows) > txPageSize {
		rows = rows[:txPageSize]
		lv.Older = rows[len(rows)-1].ID
	}
	lv.Rows = rows
	return lv, nil
}

func (d *dash) accountPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	d.renderAccount(w, r, v, http.StatusOK, settingsForm{Mo: v.acct.Settings.MoCallbackURL, Dr: v.acct.Settings.DrCallbackURL}, "")
}

func (d *dash) renderAccount(w http.ResponseWriter, r *http.Request, v *viewer, status int, sf settingsForm, problem string) {
	lv, err := d.ledger(r, v.acct.APIKey)
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	sv, err := d.secrets(r, v, v.acct.APIKey)
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	data := accountData{Acct: v.acct, Ledger: lv, Settings: sf, Secrets: sv, Primary: v.acct.PrimaryAPIKey == ""}
	if data.Primary {
		if data.Subaccounts, err = d.subaccounts(r, v.acct.APIKey); err != nil {
			d.fail(w, r, v, err)
			return
		}
	}
	d.render(w, r, status, "account", page{Title: "Account " + v.acct.APIKey, Flash: flashes[r.URL.Query().Get("done")], Error: problem, Data: data}.withViewer(v))
}

// saveSettings applies the settings form: both URLs as typed, an empty
// one clearing its setting. A refused URL is shown next to its field.
func (d *dash) saveSettings(w http.ResponseWriter, r *http.Request, v *viewer) {
	sf := settingsForm{Mo: r.PostFormValue("mo"), Dr: r.PostFormValue("dr")}
	_, err := d.svc.UpdateSettings(r.Context(), v.acct, account.SettingsUpdate{MoCallbackURL: &sf.Mo, DrCallbackURL: &sf.Dr})
	if field, msg, ok := fieldError(err); ok {
		switch field {
		case account.FieldMoCallbackURL:
			sf.MoErr = msg
		case account.FieldDrCallbackURL:
			sf.DrErr = msg
		default:
			sf.MoErr = msg
		}
		d.renderAccount(w, r, v, http.StatusBadRequest, sf, "The settings were not saved: see the field below.")
		return
	}
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, Prefix+"account?done=settings#settings", http.StatusSeeOther)
}

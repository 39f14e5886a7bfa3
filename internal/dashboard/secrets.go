package dashboard

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// Secrets: the list (ids and creation times, never a hash), creation with
// the rules shown first, revocation after a confirmation, and the guided
// rotation of `vonage secrets rotate`. A secret is shown once, on the page
// answering its creation, and only when the dashboard generated it.

// secretRules are the rules of a new secret, shown before it is typed.
var secretRules = fmt.Sprintf("%d to %d printable ASCII characters, with at least one lower-case letter, one upper-case letter and one digit. An account holds at most %d secrets.",
	account.MinSecretLen, account.MaxSecretLen, account.MaxSecrets)

// secretRow is one secret as listed.
type secretRow struct {
	ID        string
	CreatedAt time.Time
	Current   bool // the secret this session was opened with
}

// secretsView is the secrets section of an account (the viewer's own, or
// one of its subaccounts').
type secretsView struct {
	Key      string
	Own      bool
	Rows     []secretRow
	Full     bool // no room for another secret
	Rules    string
	Problem  string // why the last creation was refused
	Generate bool   // the dashboard may make up the secret
}

// secrets lists the secrets of key as v may see them; ENOTFOUND for a key
// that is neither v's nor one of its subaccounts'.
func (d *dash) secrets(r *http.Request, v *viewer, key string) (secretsView, error) {
	list, err := d.svc.ListSecrets(r.Context(), v.acct, key)
	if err != nil {
		return secretsView{}, err
	}
	sv := secretsView{Key: key, Own: key == v.acct.APIKey, Full: len(list) >= account.MaxSecrets, Rules: secretRules, Generate: true}
	for _, s := range list {
		sv.Rows = append(sv.Rows, secretRow{ID: s.ID, CreatedAt: s.CreatedAt, Current: sv.Own && s.ID == v.sess.SecretID})
	}
	return sv, nil
}

// secretsPage is the secrets of one key on a page of their own (how a
// primary account manages a subaccount's).
func (d *dash) secretsPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	d.renderSecrets(w, r, v, http.StatusOK, "")
}

func (d *dash) renderSecrets(w http.ResponseWriter, r *http.Request, v *viewer, status int, problem string) {
	sv, err := d.secrets(r, v, r.PathValue("key"))
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	sv.Problem = problem
	d.render(w, r, status, "secrets", page{Title: "Secrets of " + sv.Key, Flash: flashes[r.URL.Query().Get("done")], Data: sv}.withViewer(v))
}

// newSecretOf reads the new secret of a form: typed twice, or left empty
// for the dashboard to generate (generated is then true).
func newSecretOf(r *http.Request) (secret string, generated bool, problem string) {
	s, again := r.PostFormValue("secret"), r.PostFormValue("secret_again")
	switch {
	case s == "" && again == "":
		return generateSecret(), true, ""
	case s != again:
		return "", false, "The two secrets typed differ."
	}
	if err := account.ValidateSecret(s); err != nil {
		return "", false, "The secret " + account.AsError(err).Message + "."
	}
	return s, false, ""
}

// createdData is the page answering a creation or a rotation.
type createdData struct {
	Key     string
	ID      string // the new secret's id
	Secret  string // the new secret, only when generated: shown this once
	Steps   []stepResult
	Failed  bool
	Working string // the secret that works now
}

func (d *dash) createSecret(w http.ResponseWriter, r *http.Request, v *viewer) {
	key := r.PathValue("key")
	secret, generated, problem := newSecretOf(r)
	if problem != "" {
		d.renderSecrets(w, r, v, http.StatusBadRequest, problem)
		return
	}
	sec, err := d.svc.CreateSecret(r.Context(), v.acct, key, secret)
	if e := account.AsError(err); e != nil && (e.Code == account.EINVALID || e.Code == account.ESECRETLIMIT) {
		d.renderSecrets(w, r, v, statusOf[e.Code], e.Message)
		return
	}
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	data := createdData{Key: key, ID: sec.ID}
	if generated {
		data.Secret = secret
	}
	d.render(w, r, http.StatusCreated, "created", page{Title: "Secret created", Data: data}.withViewer(v))
}

// revokeData is the confirmation page of a revocation.
type revokeData struct {
	Key     string
	Secret  secretRow
	Current bool
}

func (d *dash) confirmRevoke(w http.ResponseWriter, r *http.Request, v *viewer) {
	key := r.PathValue("key")
	sec, err := d.svc.GetSecret(r.Context(), v.acct, key, r.PathValue("id"))
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	row := secretRow{ID: sec.ID, CreatedAt: sec.CreatedAt, Current: key == v.acct.APIKey && sec.ID == v.sess.SecretID}
	d.render(w, r, http.StatusOK, "revoke", page{Title: "Revoke secret " + sec.ID, Data: revokeData{Key: key, Secret: row}}.withViewer(v))
}

func (d *dash) revokeSecret(w http.ResponseWriter, r *http.Request, v *viewer) {
	key, id := r.PathValue("key"), r.PathValue("id")
	if err := d.svc.RevokeSecret(r.Context(), v.acct, key, id); err != nil {
		if account.ErrorCode(err) == account.ELASTSECRET {
			d.renderSecrets(w, r, v, http.StatusConflict, account.AsError(err).Message)
			return
		}
		d.fail(w, r, v, err)
		return
	}
	if key == v.acct.APIKey && id == v.sess.SecretID {
		// This session's secret is gone, so is the session: say why.
		ctx, cancel := d.ctx(r)
		defer cancel()
		_ = d.sessions.DeleteSession(ctx, v.sess.TokenHash)
		d.setCookie(w, r, sessionCookie, "", -1)
		http.Redirect(w, r, Prefix+"signin?done=ownrevoked", http.StatusSeeOther)
		return
	}
	dest := Prefix + "keys/" + key + "/secrets?done=revoked"
	if key == v.acct.APIKey {
		dest = Prefix + "account?done=revoked#secrets"
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

// generateSecret makes up a secret that meets the rules: 20 characters
// drawn uniformly from 57 unambiguous letters and digits (over 116 bits),
// drawn again until every class the rules ask for is there.
func generateSecret() string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	for {
		b := make([]byte, 20)
		for i := range b {
			n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
			if err != nil {
				panic("crypto/rand failed: " + err.Error())
			}
			b[i] = alphabet[n.Int64()]
		}
		if account.ValidateSecret(string(b)) == nil {
			return string(b)
		}
	}
}

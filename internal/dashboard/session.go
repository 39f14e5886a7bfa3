package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// The cookies. Both are HttpOnly and SameSite=Strict, scoped to the
// dashboard, and Secure when the request came over TLS.
const (
	sessionCookie = "vonage_dashboard"        // the session token
	signInCookie  = "vonage_dashboard_signin" // the sign-in form's CSRF token, before any session
)

// viewer is the signed-in user of a request.
type viewer struct {
	sess  account.Session
	token string          // the cookie's token, which the CSRF token derives from
	acct  account.Account // the account, read on this request (not for an operator)
}

// csrf is the CSRF token of the viewer's forms: an HMAC of a label under
// the session token. Only who holds the cookie can compute it, and it
// needs no storage, so every instance checks it alike.
func (v *viewer) csrf() string { return csrfOf(v.token) }

func csrfOf(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("vonage dashboard csrf"))
	return hex.EncodeToString(m.Sum(nil))
}

// newToken returns 32 random bytes, base64url.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokenHash is what the store keeps of a session token.
func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// operatorFingerprint identifies the admin token in operator sessions
// without storing it: a new token ends the sessions the old one opened.
func operatorFingerprint(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("vonage dashboard operator"))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

func (d *dash) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Prefix, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: d.https(r)})
}

// errNoSession is a request without a usable session.
var errNoSession = errors.New("no session")

// current returns the request's viewer: a session that exists, has not
// expired and, for an account, whose secret the account still holds (read
// on every request, so a revoked secret ends its sessions on every
// instance at once); for an operator, whose admin token is the one
// configured now. An ended session is deleted.
func (d *dash) current(r *http.Request) (*viewer, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 64 {
		return nil, errNoSession
	}
	ctx, cancel := d.ctx(r)
	defer cancel()
	hash := tokenHash(c.Value)
	sess, err := d.sessions.Session(ctx, hash)
	if account.ErrorCode(err) == account.ENOTFOUND {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	v := &viewer{sess: sess, token: c.Value}
	alive := d.now().Before(sess.ExpiresAt)
	switch {
	case !alive:
	case sess.Operator:
		alive = d.adminDigest != nil && subtle.ConstantTimeCompare([]byte(sess.SecretID), []byte(d.operatorFP)) == 1
	default:
		v.acct, alive, err = d.svc.AccountHoldingSecret(ctx, sess.APIKey, sess.SecretID)
		if err != nil {
			return nil, err
		}
	}
	if !alive {
		_ = d.sessions.DeleteSession(ctx, hash)
		return nil, errNoSession
	}
	return v, nil
}

// handler is a page of a signed-in viewer.
type handler func(w http.ResponseWriter, r *http.Request, v *viewer)

// asAccount serves h to a signed-in account; asOperator to an operator.
func (d *dash) asAccount(h handler) http.HandlerFunc  { return d.signedIn(false, h) }
func (d *dash) asOperator(h handler) http.HandlerFunc { return d.signedIn(true, h) }

// signedIn sends anyone else to the sign-in page, and refuses a POST
// whose CSRF token is not the session's (or that another site sent).
func (d *dash) signedIn(operator bool, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := d.current(r)
		if err == errNoSession {
			d.setCookie(w, r, sessionCookie, "", -1)
			if r.Method == http.MethodGet {
				http.Redirect(w, r, Prefix+"signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			d.errorPage(w, r, nil, http.StatusUnauthorized, "Your session has ended: sign in again.")
			return
		}
		if err != nil {
			d.fail(w, r, nil, err)
			return
		}
		if v.sess.Operator != operator {
			d.errorPage(w, r, v, http.StatusForbidden, "This page is not for the way you signed in.")
			return
		}
		if r.Method == http.MethodPost && !d.csrfOK(r, v.csrf()) {
			d.errorPage(w, r, v, http.StatusForbidden, "This form is out of date or did not come from this dashboard. Go back, reload the page and try again.")
			return
		}
		h(w, r, v)
	}
}

// csrfOK checks a POST: its form's csrf field must be want, and a browser
// must not say it came from another site.
func (d *dash) csrfOK(r *http.Request, want string) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// home sends the visitor where they belong.
func (d *dash) home(w http.ResponseWriter, r *http.Request) {
	v, err := d.current(r)
	switch {
	case err != nil:
		http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
	case v.sess.Operator:
		http.Redirect(w, r, Prefix+"operator/accounts", http.StatusSeeOther)
	default:
		http.Redirect(w, r, Prefix+"account", http.StatusSeeOther)
	}
}

// signInData is the sign-in page.
type signInData struct {
	Operator bool   // operator sign-in is offered
	Next     string // where to go after signing in
	APIKey   string // as typed, after a refusal
}

// signInPage shows the sign-in forms with a fresh CSRF cookie: there is no
// session yet to derive one from.
func (d *dash) signInPage(w http.ResponseWriter, r *http.Request) {
	d.renderSignIn(w, r, http.StatusOK, "", "")
}

func (d *dash) renderSignIn(w http.ResponseWriter, r *http.Request, status int, apiKey, problem string) {
	token := newToken()
	d.setCookie(w, r, signInCookie, token, 3600)
	d.render(w, r, status, "signin", page{Title: "Sign in", CSRF: token, Error: problem, Flash: flashes[r.URL.Query().Get("done")],
		Data: signInData{Operator: d.adminDigest != nil, Next: safeNext(r.FormValue("next")), APIKey: apiKey}})
}

// safeNext keeps a post-sign-in destination only when it is a dashboard
// path, so the sign-in form cannot be made to redirect elsewhere.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || len(next) > 512 || len(next) < len(Prefix) || next[:len(Prefix)] != Prefix || next[len(Prefix):] == "signin" {
		return ""
	}
	return next
}

// signInCSRFOK checks the sign-in form against its cookie (double submit).
func (d *dash) signInCSRFOK(r *http.Request) bool {
	c, err := r.Cookie(signInCookie)
	return err == nil && c.Value != "" && d.csrfOK(r, c.Value)
}

// signIn opens an account's session with its API key and secret, through
// the same verification and failure limits as the API.
func (d *dash) signIn(w http.ResponseWriter, r *http.Request) {
	if !d.signInCSRFOK(r) {
		d.renderSignIn(w, r, http.StatusForbidden, "", "The sign-in form was out of date. Please try again.")
		return
	}
	key := r.PostFormValue("api_key")
	acct, secretID, err := d.svc.SignIn(r.Context(), key, r.PostFormValue("api_secret"), d.clientAddr(r))
	if err != nil {
		d.refuseSignIn(w, r, key, err)
		return
	}
	d.openSession(w, r, account.Session{APIKey: acct.APIKey, SecretID: secretID}, Prefix+"account")
}

// signInOperator opens an operator's session with the admin token, under
// the admin API's failure limits.
func (d *dash) signInOperator(w http.ResponseWriter, r *http.Request) {
	if d.adminDigest == nil {
		d.notFound(w, r)
		return
	}
	if !d.signInCSRFOK(r) {
		d.renderSignIn(w, r, http.StatusForbidden, "", "The sign-in form was out of date. Please try again.")
		return
	}
	got := sha256.Sum256([]byte(r.PostFormValue("admin_token")))
	valid := subtle.ConstantTimeCompare(got[:], d.adminDigest[:]) == 1
	if err := d.svc.AuthorizeAdmin(d.clientAddr(r), valid); err != nil {
		d.refuseSignIn(w, r, "", err)
		return
	}
	d.openSession(w, r, account.Session{Operator: true, SecretID: d.operatorFP}, Prefix+"operator/accounts")
}

// refuseSignIn answers a refused sign-in: wrong credentials, or a limit
// (429 with Retry-After).
func (d *dash) refuseSignIn(w http.ResponseWriter, r *http.Request, key string, err error) {
	var le *account.LimitError
	switch {
	case errors.As(err, &le):
		w.Header().Set("Retry-After", retryAfter(le.After))
		d.renderSignIn(w, r, http.StatusTooManyRequests, key, "Too many attempts: wait "+retryAfter(le.After)+" seconds and try again.")
	case account.ErrorCode(err) == account.EUNAUTHORIZED:
		d.renderSignIn(w, r, http.StatusUnauthorized, key, "Those credentials were not accepted.")
	default:
		d.fail(w, r, nil, err)
	}
}

// openSession stores a new session and sets its cookie. The token is
// always new (a session id the browser brought is never adopted), and any
// session the browser held is ended.
func (d *dash) openSession(w http.ResponseWriter, r *http.Request, sess account.Session, dest string) {
	ctx, cancel := d.ctx(r)
	defer cancel()
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" && len(c.Value) <= 64 {
		_ = d.sessions.DeleteSession(ctx, tokenHash(c.Value))
	}
	token := newToken()
	sess.TokenHash = tokenHash(token)
	sess.CreatedAt = d.now().UTC().Truncate(time.Microsecond)
	sess.ExpiresAt = sess.CreatedAt.Add(d.lifetime)
	if err := d.sessions.CreateSession(ctx, sess); err != nil {
		d.fail(w, r, nil, err)
		return
	}
	d.setCookie(w, r, signInCookie, "", -1)
	d.setCookie(w, r, sessionCookie, token, int(d.lifetime.Seconds()))
	if next := safeNext(r.PostFormValue("next")); next != "" {
		dest = next
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

// signOut ends the session everywhere: the row goes, not just the cookie.
func (d *dash) signOut(w http.ResponseWriter, r *http.Request) {
	v, err := d.current(r)
	if err == nil {
		if !d.csrfOK(r, v.csrf()) {
			d.errorPage(w, r, v, http.StatusForbidden, "This form is out of date. Go back, reload the page and try again.")
			return
		}
		ctx, cancel := d.ctx(r)
		defer cancel()
		if err := d.sessions.DeleteSession(ctx, v.sess.TokenHash); err != nil {
			d.fail(w, r, v, err)
			return
		}
	}
	d.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
}

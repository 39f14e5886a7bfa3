package dashboard

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// The guided rotation: the steps of `vonage secrets rotate`
// (cmd/vonage/secrets_rotate.go, vonage.AccountClient.RotateSecret), run by
// the server on the viewer's behalf:
//
//  1. list the secrets; an account holding two must name the one to
//     replace, which is revoked first to make room, so it must not be the
//     one this session was opened with;
//  2. create the new secret;
//  3. verify it by signing in with it (if that fails, revoke it again);
//  4. revoke the old secret (unless it was retired in step 1).
//
// When the old secret is the session's, the session moves to the new one.

// The steps, named as vonage.RotationError.Step names them.
const (
	stepList     = "list"
	stepRetire   = "retire"
	stepCreate   = "create"
	stepVerify   = "verify"
	stepRollback = "rollback"
	stepRevoke   = "revoke"
)

// stepResult is one step as the result page shows it.
type stepResult struct {
	Name, Detail string
	Err          string // empty when the step worked
}

// rotateData is the rotation form.
type rotateData struct {
	Secrets secretsView
	Choices []secretRow // what may be retired, on an account holding two
	Problem string
}

func (d *dash) rotatePage(w http.ResponseWriter, r *http.Request, v *viewer) {
	d.renderRotate(w, r, v, http.StatusOK, "")
}

func (d *dash) renderRotate(w http.ResponseWriter, r *http.Request, v *viewer, status int, problem string) {
	sv, err := d.secrets(r, v, r.PathValue("key"))
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	data := rotateData{Secrets: sv, Problem: problem}
	if sv.Full {
		for _, s := range sv.Rows {
			if !s.Current {
				data.Choices = append(data.Choices, s)
			}
		}
	}
	d.render(w, r, status, "rotate", page{Title: "Rotate a secret of " + sv.Key, Data: data}.withViewer(v))
}

// rotate runs the steps and shows each one's outcome.
func (d *dash) rotate(w http.ResponseWriter, r *http.Request, v *viewer) {
	key := r.PathValue("key")
	ctx := r.Context()
	list, err := d.svc.ListSecrets(ctx, v.acct, key)
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	ids := make([]string, 0, len(list))
	for _, s := range list {
		ids = append(ids, s.ID)
	}
	own := key == v.acct.APIKey
	oldID, retire := "", r.PostFormValue("retire")
	switch {
	case len(ids) >= account.MaxSecrets && retire == "":
		d.renderRotate(w, r, v, http.StatusBadRequest, "This account holds two secrets: choose the one to replace.")
		return
	case retire != "" && !slices.Contains(ids, retire):
		d.renderRotate(w, r, v, http.StatusBadRequest, "The secret to replace is none of this account's.")
		return
	case own && retire == v.sess.SecretID:
		d.renderRotate(w, r, v, http.StatusBadRequest, "The secret to replace is revoked first, so it cannot be the one you signed in with.")
		return
	case retire != "":
		oldID = retire
	case len(ids) == 1:
		oldID = ids[0]
	}
	secret, generated, problem := newSecretOf(r)
	if problem != "" {
		d.renderRotate(w, r, v, http.StatusBadRequest, problem)
		return
	}

	res := createdData{Key: key, Working: oldID}
	step := func(name, detail string, err error) bool {
		sr := stepResult{Name: name, Detail: detail}
		if err != nil {
			sr.Err = errorText(err)
			res.Failed = true
			if e := account.AsError(err); e == nil || e.Code == account.EINTERNAL {
				d.log.LogAttrs(ctx, slog.LevelError, "dashboard rotation step failed", slog.String("step", name), slog.String("error", err.Error()))
			}
		}
		res.Steps = append(res.Steps, sr)
		return err == nil
	}
	step(stepList, "listed the secrets of "+key, nil)
	retired := retire != ""
	if retired {
		if !step(stepRetire, "revoke secret "+retire+" to make room: an account holds at most two", d.svc.RevokeSecret(ctx, v.acct, key, retire)) {
			d.rotated(w, r, v, res)
			return
		}
		res.Working = ""
		for _, id := range ids {
			if id != retire {
				res.Working = id
			}
		}
	}
	sec, err := d.svc.CreateSecret(ctx, v.acct, key, secret)
	if !step(stepCreate, "create the new secret of "+key, err) {
		d.rotated(w, r, v, res)
		return
	}
	if !step(stepVerify, "sign in with the new secret "+sec.ID, d.verifySecret(r, key, secret, sec.ID)) {
		// Leaving an unverified secret behind is worse than a late answer.
		rb, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		step(stepRollback, "revoke the new secret "+sec.ID+" again: it did not work", d.svc.RevokeSecret(rb, v.acct, key, sec.ID))
		d.rotated(w, r, v, res)
		return
	}
	res.ID, res.Working = sec.ID, sec.ID
	if generated {
		res.Secret = secret
	}
	if !retired && oldID != "" {
		if !step(stepRevoke, "revoke the old secret "+oldID, d.svc.RevokeSecret(ctx, v.acct, key, oldID)) {
			d.rotated(w, r, v, res)
			return
		}
		if own && oldID == v.sess.SecretID {
			if err := d.moveSession(r, w, v, sec.ID); err != nil {
				d.fail(w, r, nil, err)
				return
			}
		}
	}
	d.rotated(w, r, v, res)
}

// verifySecret proves the new secret works: signing in with it, through
// the same checks as any sign-in, matches the new secret's id.
func (d *dash) verifySecret(r *http.Request, key, secret, id string) error {
	_, got, err := d.svc.SignIn(r.Context(), key, secret, d.clientAddr(r))
	if err != nil {
		return err
	}
	if got != id {
		return account.Errorf(account.EINTERNAL, "the new secret signed in as another secret")
	}
	return nil
}

// moveSession replaces v's session, whose secret was just rotated away, by
// one opened with the new secret; it keeps the old one's expiry, so a
// rotation does not extend a session.
func (d *dash) moveSession(r *http.Request, w http.ResponseWriter, v *viewer, secretID string) error {
	ctx, cancel := d.ctx(r)
	defer cancel()
	token := newToken()
	sess := v.sess
	sess.TokenHash, sess.SecretID, sess.CreatedAt = tokenHash(token), secretID, d.now().UTC().Truncate(time.Microsecond)
	if err := d.sessions.CreateSession(ctx, sess); err != nil {
		return err
	}
	_ = d.sessions.DeleteSession(ctx, v.sess.TokenHash)
	d.setCookie(w, r, sessionCookie, token, int(sess.ExpiresAt.Sub(d.now()).Seconds()))
	v.sess, v.token = sess, token
	return nil
}

// rotated shows the rotation's steps.
func (d *dash) rotated(w http.ResponseWriter, r *http.Request, v *viewer, res createdData) {
	status := http.StatusOK
	if res.Failed {
		status = http.StatusConflict
	}
	d.render(w, r, status, "created", page{Title: "Rotation of a secret of " + res.Key, Data: res}.withViewer(v))
}

// errorText is what a page may say of a failed step: a domain error's
// own message; anything else is not shown.
func errorText(err error) string {
	if e := account.AsError(err); e != nil && e.Code != account.EINTERNAL {
		return e.Message
	}
	return "an unexpected error (logged on the server)"
}

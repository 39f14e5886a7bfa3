package vonage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The steps of a secret rotation, as RotationError.Step and OnStep name them.
const (
	StepList     = "list"     // list the account's secrets to find the one to replace
	StepRetire   = "retire"   // two secrets: revoke the one RetireSecret names, to make room
	StepCreate   = "create"   // create the new secret
	StepVerify   = "verify"   // call the API signed with the new secret
	StepRollback = "rollback" // revoke the new secret again, after it failed to verify
	StepRevoke   = "revoke"   // revoke the replaced secret
)

// rollbackTimeout bounds the rollback, which runs even after the caller's
// context has ended: leaving an unverified secret behind is worse than a late
// return.
const rollbackTimeout = 30 * time.Second

// RotationResult says where a rotation left the account. RotateSecret returns
// it filled in on failure too.
type RotationResult struct {
	APIKey string // the account whose secret was rotated
	// NewSecretID is the secret the rotation created and left in place; ""
	// when none was created or it was revoked again.
	NewSecretID string
	// RevokedSecretID is the secret the rotation revoked; "" when none was.
	RevokedSecretID string
	// WorkingSecretID is the secret to sign with from now on: NewSecretID
	// once the new secret has proved to work, otherwise the secret that was
	// being replaced, or on a two-secret account the one left alone. It is
	// "" only when the list step failed, which changes nothing.
	WorkingSecretID string
}

// RotationError is the error of a rotation that did not finish. It unwraps to
// the failure of the step (usually an *APIError), so errors.Is and errors.As
// work as for any other call. Its text says what state the account is in.
type RotationError struct {
	Step string // StepList, StepRetire, StepCreate, StepVerify, StepRollback or StepRevoke
	// NewSecretID is the secret the rotation created, if it got that far:
	// revoked again after a failed StepVerify, still present (unverified)
	// after a failed StepRollback, working after a failed StepRevoke.
	NewSecretID string
	// WorkingSecretID is the secret that works after the failure, as in
	// RotationResult.
	WorkingSecretID string
	Err             error

	outcome string // the account's state, in words
}

func (e *RotationError) Error() string {
	msg := "vonage: secret rotation failed at step " + e.Step
	if e.outcome != "" {
		msg += " (" + e.outcome + ")"
	}
	if e.Err != nil {
		msg += ": " + strings.TrimPrefix(e.Err.Error(), "vonage: ")
	}
	return msg
}

func (e *RotationError) Unwrap() error { return e.Err }

// RotateOption configures RotateSecret.
type RotateOption func(*rotateConfig)

type rotateConfig struct {
	retire string
	onStep []func(step, detail string)
}

// RetireSecret names the secret to replace on an account that already has two
// (the most an account may hold). It must be one of them, and not the one the
// client signs with: it is revoked first, to make room for the new secret.
func RetireSecret(id string) RotateOption {
	return func(rc *rotateConfig) { rc.retire = id }
}

// OnStep calls fn before each step of the rotation, with the step's name and a
// sentence saying what it is about to do (never a secret), so a command line
// can show progress as it happens. Several OnStep options are called in order.
func OnStep(fn func(step, detail string)) RotateOption {
	return func(rc *rotateConfig) {
		if fn != nil {
			rc.onStep = append(rc.onStep, fn)
		}
	}
}

// rotation is the state of one RotateSecret call.
type rotation struct {
	cfg    rotateConfig
	res    RotationResult
	oldID  string // the secret being replaced
	keepID string // the secret that works until the new one is verified
}

// RotateSecret replaces one of the account's API secrets with newSecret,
// proving the new secret works before the old one is revoked:
//
//  1. list the secrets: with one, it is the one replaced; with two,
//     RetireSecret must name the one to replace, which is revoked first;
//  2. create newSecret;
//  3. verify it by listing the secrets signed with the new credentials; if
//     that fails, revoke the new secret again (the rollback);
//  4. revoke the replaced secret.
//
// Whatever fails, the account keeps a working secret, which the result and
// the *RotationError name (WorkingSecretID). After success, sign with
// newSecret: c.WithCredentials(c.APIKey(), newSecret). Nothing is retried
// beyond the client's usual GET retries: a failed step stops the rotation.
// The rollback runs even when ctx has ended (for up to 30 seconds), so an
// unverified secret is not left behind.
//
// On a client from ForKey, the key given there is rotated: a primary account
// rotates a subaccount's secret while signing every step but the verification
// with its own credentials.
func (c *AccountClient) RotateSecret(ctx context.Context, newSecret string, opts ...RotateOption) (RotationResult, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	apiKey, own := c.APIKey(), c.own()
	rt := &rotation{res: RotationResult{APIKey: apiKey}}
	for _, opt := range opts {
		if opt != nil {
			opt(&rt.cfg)
		}
	}

	rt.step(StepList, "listing the secrets of "+apiKey)
	list, _, err := c.ListSecretsContext(ctx)
	if err != nil {
		return rt.fail(StepList, "nothing changed", err)
	}
	ids := make([]string, 0, len(list.Secrets))
	for _, s := range list.Secrets {
		ids = append(ids, s.ID)
	}
	if err := rt.choose(ids); err != nil {
		return rt.fail(StepList, "nothing changed", err)
	}
	switch {
	case newSecret == "":
		return rt.fail(StepCreate, "nothing changed", localError(nil, ErrInvalidRequest, errors.New("the new secret is empty")))
	case own && newSecret == c.secret():
		return rt.fail(StepCreate, "nothing changed", localError(nil, ErrInvalidRequest, errors.New("the new secret is the one the client signs with")))
	}

	retired := false
	if rt.oldID != "" && rt.keepID != rt.oldID {
		rt.step(StepRetire, "revoking secret "+rt.oldID+" to make room: an account holds at most two")
		if _, _, err := c.DeleteSecretContext(ctx, rt.oldID); err != nil {
			return rt.fail(StepRetire, rt.maybe(err, "secret "+rt.oldID+" may have been revoked", "nothing changed"), err)
		}
		retired = true
		rt.res.RevokedSecretID = rt.oldID
	}

	rt.step(StepCreate, "creating the new secret of "+apiKey)
	created, _, err := c.CreateSecretContext(ctx, newSecret)
	if err != nil {
		outcome := rt.maybe(err, "the new secret may have been created: list the secrets and revoke any you do not know", "no secret was created")
		if retired && own && errors.Is(err, ErrAuthentication) {
			outcome = "the client signed with the retired secret " + rt.oldID + "; no secret was created"
		}
		return rt.fail(StepCreate, outcome, err)
	}
	newID := created.ID

	rt.step(StepVerify, "checking the new secret "+newID+" with a call signed by it")
	if err := c.verify(ctx, newSecret, newID); err != nil {
		rt.step(StepRollback, "revoking the new secret "+newID+" again: it did not work")
		rbCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		defer cancel()
		if _, _, rbErr := c.DeleteSecretContext(rbCtx, newID); rbErr != nil {
			rt.res.NewSecretID = newID
			outcome := "the new secret " + newID + " did not work and could not be revoked: revoke it by hand"
			return rt.failNew(StepRollback, outcome, newID, fmt.Errorf("%w; verify failed first: %w", rbErr, err))
		}
		return rt.failNew(StepVerify, "the new secret "+newID+" did not work and was revoked again", newID, err)
	}
	rt.res.NewSecretID, rt.keepID = newID, newID

	if rt.oldID != "" && !retired {
		rt.step(StepRevoke, "revoking the old secret "+rt.oldID)
		if _, _, err := c.DeleteSecretContext(ctx, rt.oldID); err != nil {
			outcome := rt.maybe(err, "the new secret "+newID+" works; the old secret "+rt.oldID+" may still work: check and revoke it",
				"the new secret "+newID+" works and the old secret "+rt.oldID+" still works: revoke it when you can")
			return rt.failNew(StepRevoke, outcome, newID, err)
		}
		rt.res.RevokedSecretID = rt.oldID
	}
	rt.res.WorkingSecretID = newID
	return rt.res, nil
}

// choose picks the secret to replace (oldID) and the one that keeps working
// meanwhile (keepID), or refuses.
func (rt *rotation) choose(ids []string) error {
	retire := rt.cfg.retire
	switch {
	case retire != "" && !slices.Contains(ids, retire):
		return localError(nil, ErrInvalidRequest, fmt.Errorf("RetireSecret(%q) names none of the account's secrets (%s)", retire, strings.Join(ids, ", ")))
	case len(ids) >= 2 && retire == "":
		return localError(nil, ErrInvalidRequest, fmt.Errorf("the account already has %d secrets (%s), the most it may hold: name the one to replace with RetireSecret (%w)",
			len(ids), strings.Join(ids, ", "), ErrSecretLimit))
	case len(ids) >= 2:
		rt.oldID = retire
		for _, id := range ids {
			if id != retire {
				rt.keepID = id
				break
			}
		}
	case len(ids) == 1:
		rt.oldID, rt.keepID = ids[0], ids[0]
	}
	return nil
}

// verify proves newSecret works: the secrets of the key c acts on, listed
// with credentials made of that key and newSecret, must include newID.
func (c *AccountClient) verify(ctx context.Context, newSecret, newID string) error {
	list, _, err := c.WithCredentials(c.APIKey(), newSecret).ListSecretsContext(ctx)
	if err != nil {
		return err
	}
	for _, s := range list.Secrets {
		if s.ID == newID {
			return nil
		}
	}
	return fmt.Errorf("the secrets listed with the new credentials do not include %s", newID)
}

func (rt *rotation) step(step, detail string) {
	for _, fn := range rt.cfg.onStep {
		fn(step, detail)
	}
}

// maybe picks the outcome to report: a failed POST or DELETE without a clear
// answer (no response, or a 5xx) may have taken effect all the same.
func (rt *rotation) maybe(err error, unknown, known string) string {
	if errors.Is(err, ErrTransport) || errors.Is(err, ErrServer) {
		return unknown
	}
	return known
}

// fail ends a rotation before a new secret exists: the secret kept all along
// is the working one.
func (rt *rotation) fail(step, outcome string, err error) (RotationResult, error) {
	return rt.failNew(step, outcome, "", err)
}

func (rt *rotation) failNew(step, outcome, newID string, err error) (RotationResult, error) {
	rt.res.WorkingSecretID = rt.keepID
	if rt.res.RevokedSecretID != "" {
		outcome = "secret " + rt.res.RevokedSecretID + " was revoked to make room; " + outcome
	}
	if rt.keepID != "" && rt.keepID != newID {
		outcome += "; secret " + rt.keepID + " still works"
	}
	return rt.res, &RotationError{Step: step, NewSecretID: newID, WorkingSecretID: rt.keepID, Err: err, outcome: outcome}
}

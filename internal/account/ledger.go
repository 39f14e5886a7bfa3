package account

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The rules of moving money (contract sections 5 and 6), once for every
// store, as LedgerCheck is for VerifyLedger: a store embeds Ledger, which
// gives it Store's Credit, Charge and TopUp, and implements LedgerTx with
// its dialect's SQL. The rules decide which ledger rows and idempotency
// keys to write; the store's schema checks each row and moves the balance
// with it, and the store's transactions (and locks) keep a movement whole.

// Ledger implements Store's Credit, Charge and TopUp over a store's write
// transactions. A store embeds it and sets InTx.
type Ledger struct {
	// InTx runs fn in one write transaction and commits it when fn returns
	// nil. op names the operation in unexpected errors; domain errors
	// (*Error) from fn come back as they are.
	InTx func(ctx context.Context, op string, fn func(LedgerTx) error) error
}

// LedgerTx is what the money rules ask of a store inside one write
// transaction.
type LedgerTx interface {
	// Balance returns the account's balance and auto-reload (nil when
	// off), or ENOTFOUND. It is the movement's first read: a store whose
	// writers do not already take turns locks the account's row here, for
	// the rest of the transaction.
	Balance(ctx context.Context, apiKey string) (Money, *AutoReload, error)

	// Insert appends t to the ledger and returns it with its ID.
	Insert(ctx context.Context, t Transaction) (Transaction, error)

	// TxByID reads the account's ledger row with that id.
	TxByID(ctx context.Context, apiKey string, id int64) (Transaction, error)

	// ReloadAmount returns the amount of the account's reload with that
	// trx; found is false when the account has no such reload.
	ReloadAmount(ctx context.Context, apiKey, trx string) (amount Money, found bool, err error)

	// LookupKey returns what the account's idempotency key recorded (with
	// Fingerprint, Outcome, TxID and ReloadID set); found is false when
	// the key is new.
	LookupKey(ctx context.Context, apiKey, key string) (rec KeyRecord, found bool, err error)

	// RecordKey stores rec. The key must be new: a store's schema refuses
	// a second record of one key.
	RecordKey(ctx context.Context, rec KeyRecord) error
}

// KeyRecord is what an idempotency key remembers of the movement made
// under it.
type KeyRecord struct {
	APIKey      string
	Key         string
	Fingerprint string
	Outcome     string // outcomeOK or outcomeFunds
	TxID        int64  // the movement's ledger row; 0 for none (stored as NULL)
	ReloadID    int64  // the reload a charge triggered; 0 for none (stored as NULL)
	CreatedAt   time.Time
}

// The outcomes an idempotency key can record.
const (
	outcomeOK    = "ok"
	outcomeFunds = "insufficient_funds"
)

// PlanCharge decides how a charge of amount (> 0) moves a balance: when
// auto-reload is on and the charge takes the balance below the threshold,
// a reload of the configured amount comes first. It returns that reload
// (0 for none); EFUNDS if the balance, with any reload, would go below
// zero; EINVALID on "amount" if the reload would take it beyond what an
// account can hold.
func PlanCharge(balance Money, ar *AutoReload, amount Money) (reload Money, err error) {
	after := balance - amount // both non-negative: cannot overflow
	if ar != nil && after < ar.Threshold {
		reload = ar.Amount
	}
	if _, err := AddMoney(balance, reload); err != nil {
		return 0, err
	}
	if after+reload < 0 { // cannot overflow: at most balance + reload
		return 0, insufficient(amount)
	}
	return reload, nil
}

// OpeningCredit is the ledger row that records a new account's positive
// balance: a credit at the account's creation. ok is false for a zero
// balance, which records nothing.
func OpeningCredit(acct Account) (t Transaction, ok bool) {
	return Transaction{
		APIKey: acct.APIKey, Kind: KindCredit, Amount: acct.Balance, BalanceAfter: acct.Balance,
		Reference: "opening balance", CreatedAt: acct.CreatedAt,
	}, acct.Balance > 0
}

// insufficient is the refusal of a charge of amount. A replayed refusal
// builds it again from the same amount, so both answers read alike.
func insufficient(amount Money) error {
	return Errorf(EFUNDS, "insufficient funds for a charge of %s", amount)
}

// Credit adds m.Amount (> 0) to the balance and records a credit.
func (l Ledger) Credit(ctx context.Context, m Movement) (MoveResult, error) {
	return l.move(ctx, KindCredit, m)
}

// Charge takes m.Amount (> 0) from the balance, reloading first as
// PlanCharge decides. The reload row comes first, so no row's
// balance_after is ever negative.
func (l Ledger) Charge(ctx context.Context, m Movement) (MoveResult, error) {
	return l.move(ctx, KindCharge, m)
}

// move runs one money movement in a write transaction. With
// m.IdempotencyKey set, it replays a recorded outcome instead of moving
// money, or records the outcome it produced; a refused charge commits only
// its key, so the refusal is remembered too.
func (l Ledger) move(ctx context.Context, kind string, m Movement) (MoveResult, error) {
	if m.Amount <= 0 {
		return MoveResult{}, Invalid("amount", "must be greater than zero")
	}
	var (
		res     MoveResult
		refusal error // EFUNDS, returned after the key that records it is committed
	)
	err := l.InTx(ctx, kind, func(tx LedgerTx) error {
		res, refusal = MoveResult{}, nil
		balance, ar, err := tx.Balance(ctx, m.APIKey)
		if err != nil {
			return err
		}
		if m.IdempotencyKey != "" {
			prior, found, err := tx.LookupKey(ctx, m.APIKey, m.IdempotencyKey)
			if err != nil {
				return err
			}
			if found {
				res, err = replay(ctx, tx, kind, m, prior)
				if ErrorCode(err) == EFUNDS {
					refusal, err = err, nil
				}
				return err
			}
		}
		r, err := apply(ctx, tx, kind, m, balance, ar)
		if ErrorCode(err) == EFUNDS && m.IdempotencyKey != "" {
			refusal = err
			return tx.RecordKey(ctx, keyRecord(m, outcomeFunds, MoveResult{}))
		}
		if err != nil {
			return err
		}
		res = r
		if m.IdempotencyKey != "" {
			return tx.RecordKey(ctx, keyRecord(m, outcomeOK, r))
		}
		return nil
	})
	if err != nil {
		return MoveResult{}, err
	}
	return res, refusal
}

// apply writes the ledger rows of a credit or a charge. A refused charge
// (EFUNDS) writes nothing.
func apply(ctx context.Context, tx LedgerTx, kind string, m Movement, balance Money, ar *AutoReload) (MoveResult, error) {
	var res MoveResult
	if kind == KindCredit {
		after, err := AddMoney(balance, m.Amount)
		if err != nil {
			return res, err
		}
		res.Transaction, err = tx.Insert(ctx, Transaction{
			APIKey: m.APIKey, Kind: KindCredit, Amount: m.Amount, BalanceAfter: after,
			Reference: m.Reference, CreatedAt: m.Now,
		})
		return res, err
	}
	reload, err := PlanCharge(balance, ar, m.Amount)
	if err != nil {
		return res, err
	}
	if reload > 0 {
		r, err := tx.Insert(ctx, Transaction{
			APIKey: m.APIKey, Kind: KindReload, Amount: reload, BalanceAfter: balance + reload,
			Reference: "auto-reload", Trx: NewTrx(), CreatedAt: m.Now,
		})
		if err != nil {
			return res, err
		}
		res.Reload = &r
	}
	res.Transaction, err = tx.Insert(ctx, Transaction{
		APIKey: m.APIKey, Kind: KindCharge, Amount: -m.Amount, BalanceAfter: balance + reload - m.Amount,
		Reference: m.Reference, CreatedAt: m.Now,
	})
	return res, err
}

// keyRecord is what m's key records of an outcome.
func keyRecord(m Movement, outcome string, r MoveResult) KeyRecord {
	rec := KeyRecord{APIKey: m.APIKey, Key: m.IdempotencyKey, Fingerprint: m.Fingerprint,
		Outcome: outcome, CreatedAt: m.Now}
	if outcome == outcomeOK {
		rec.TxID = r.Transaction.ID
	}
	if r.Reload != nil {
		rec.ReloadID = r.Reload.ID
	}
	return rec
}

// replay answers a repeat of a recorded attempt: the same ledger rows, or
// the same EFUNDS, with Replayed set. A different request under the same
// key is ECONFLICT. Besides the fingerprint, the recorded rows must be of
// the kind asked for, so a credit can never replay a charge even when a
// caller passes no fingerprint.
func replay(ctx context.Context, tx LedgerTx, kind string, m Movement, p KeyRecord) (MoveResult, error) {
	conflict := Errorf(ECONFLICT,
		"the Idempotency-Key was already used for a different request; use a new key for a new request")
	if p.Fingerprint != m.Fingerprint {
		return MoveResult{}, conflict
	}
	res := MoveResult{Replayed: true}
	switch p.Outcome {
	case outcomeFunds:
		if kind != KindCharge {
			return MoveResult{}, conflict
		}
		return res, insufficient(m.Amount)
	case outcomeOK:
	default:
		return MoveResult{}, fmt.Errorf("idempotency key with unknown outcome %q", p.Outcome)
	}
	if p.TxID == 0 {
		return MoveResult{}, errors.New("idempotency key recorded as ok without its ledger row")
	}
	t, err := recordedTx(ctx, tx, m.APIKey, p.TxID)
	if err != nil {
		return MoveResult{}, err
	}
	if t.Kind != kind {
		return MoveResult{}, conflict
	}
	res.Transaction = t
	if p.ReloadID != 0 {
		r, err := recordedTx(ctx, tx, m.APIKey, p.ReloadID)
		if err != nil {
			return MoveResult{}, err
		}
		res.Reload = &r
	}
	return res, nil
}

// recordedTx reads a ledger row an idempotency key recorded.
func recordedTx(ctx context.Context, tx LedgerTx, apiKey string, id int64) (Transaction, error) {
	t, err := tx.TxByID(ctx, apiKey, id)
	if err != nil {
		return Transaction{}, fmt.Errorf("ledger row %d of a recorded idempotency key: %w", id, err)
	}
	return t, nil
}

// TopUp repeats the account's reload trx: its amount is added again as a
// top-up row with a fresh trx that points at the reload.
func (l Ledger) TopUp(ctx context.Context, apiKey, trx string, now time.Time) (Transaction, error) {
	var t Transaction
	err := l.InTx(ctx, "top up", func(tx LedgerTx) error {
		balance, ar, err := tx.Balance(ctx, apiKey)
		if err != nil {
			return err
		}
		if ar == nil {
			return Errorf(EAUTORELOADOFF, "not auto-reload enabled")
		}
		amount, found, err := tx.ReloadAmount(ctx, apiKey, trx)
		if err != nil {
			return err
		}
		if !found {
			return Invalid("trx", "is not a reload of this account")
		}
		after, err := AddMoney(balance, amount)
		if err != nil {
			return err
		}
		t, err = tx.Insert(ctx, Transaction{
			APIKey: apiKey, Kind: KindTopUp, Amount: amount, BalanceAfter: after,
			Trx: NewTrx(), RelatedTrx: trx, CreatedAt: now,
		})
		return err
	})
	if err != nil {
		return Transaction{}, err
	}
	return t, nil
}

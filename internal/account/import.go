package account

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// Bulk import: the operator's way to provision many accounts at once
// (POST /admin/import). Accounts are validated like CreateAccount's
// and stored in batches, one database transaction per batch, through
// Store.ImportAccounts.
//
// Hashing is what makes provisioning slow: argon2id at DefaultHashParams
// costs tens of milliseconds of CPU per secret, so a million clear secrets
// would take hours. An import line may therefore carry the hash instead of
// the secret (SecretHash, in the encoding HashSecret produces), computed
// offline, in parallel, by the operator.

// ImportAccount is one account of a bulk import as the operator describes
// it: NewAccount's fields, with the API key required and the first secret
// given either in clear (Secret, hashed here) or already hashed
// (SecretHash), never both.
type ImportAccount struct {
	NewAccount
	SecretHash string
}

// ImportRecord is one account ready to store: the account and its first
// secret, hashed.
type ImportRecord struct {
	Account Account
	Secret  Secret
}

// ImportAccounts validates accts, hashes their clear secrets (through the
// service's hashing slots, like any request, so a batch of clear secrets
// neither starves authentication nor multiplies argon2's memory) and
// stores the valid ones in one Store.ImportAccounts call, that is one
// database transaction.
//
// It returns one error per account, in order: nil when it was imported,
// an EINVALID naming the field at fault, or the store's verdict (ECONFLICT
// for a key that already exists: such an account is left alone, so running
// an import again is safe; ENOTFOUND or EINVALID for a bad primary_api_key).
// A non-nil second value is an unexpected failure: nothing of this batch
// was stored.
func (s *Service) ImportAccounts(ctx context.Context, accts []ImportAccount) ([]error, error) {
	errs := make([]error, len(accts))
	recs := make([]ImportRecord, len(accts))
	now := s.timestamp()
	var toHash []int
	for i, ia := range accts {
		rec, hashIt, err := s.prepareImport(ia, now)
		if err != nil {
			errs[i] = err
			continue
		}
		recs[i] = rec
		if hashIt {
			toHash = append(toHash, i)
		}
	}
	if err := s.hashAll(ctx, accts, recs, toHash); err != nil {
		return nil, err
	}

	valid := make([]ImportRecord, 0, len(accts))
	where := make([]int, 0, len(accts))
	for i := range accts {
		if errs[i] == nil {
			valid = append(valid, recs[i])
			where = append(where, i)
		}
	}
	if len(valid) == 0 {
		return errs, nil
	}
	stored, err := s.store.ImportAccounts(ctx, valid)
	if err != nil {
		return nil, err
	}
	for j, i := range where {
		errs[i] = stored[j]
	}
	return errs, nil
}

// prepareImport validates ia as CreateAccount validates a NewAccount and
// builds its record. hashIt says that the secret is in clear and
// rec.Secret.Hash still to compute.
func (s *Service) prepareImport(ia ImportAccount, now time.Time) (rec ImportRecord, hashIt bool, err error) {
	if ia.APIKey == "" {
		return rec, false, Invalid("api_key", "is required")
	}
	if err := ValidateAPIKey("api_key", ia.APIKey); err != nil {
		return rec, false, err
	}
	switch {
	case ia.Secret != "" && ia.SecretHash != "":
		return rec, false, Invalid("secret_hash", "give either secret or secret_hash, not both")
	case ia.Secret == "" && ia.SecretHash == "":
		return rec, false, Invalid("secret", "is required (or secret_hash, an argon2id hash of it)")
	case ia.Secret != "":
		if err := ValidateSecret(ia.Secret); err != nil {
			return rec, false, err
		}
		hashIt = true
	default:
		e, ok := parseHash(ia.SecretHash)
		if !ok {
			return rec, false, Invalid("secret_hash", "must be an argon2id hash: $argon2id$v=19$m=...,t=...,p=...$salt$hash")
		}
		if e.peppered && s.hasher.pepper == nil {
			return rec, false, Invalid("secret_hash", "was made with a pepper (k=1), but this server has none")
		}
		if p := s.hasher.params; !s.hasher.withinBounds(e.params) {
			return rec, false, Invalid("secret_hash", "costs more than this server allows: at most m=%d, t=%d, p=%d (%d times the server's memory and iterations, its lanes)",
				maxCostFactor*uint64(p.Memory), maxCostFactor*uint64(p.Time), p.Threads, maxCostFactor)
		}
	}
	if ia.PrimaryAPIKey != "" {
		if ia.PrimaryAPIKey == ia.APIKey {
			return rec, false, Invalid("primary_api_key", "must name another account")
		}
		if len(ia.PrimaryAPIKey) > 64 {
			return rec, false, Invalid("primary_api_key", "names no account")
		}
	}
	if ia.Balance < 0 {
		return rec, false, Invalid("balance", "must not be negative")
	}
	limits := DefaultLimits
	if ia.Limits != nil {
		limits = *ia.Limits
	}
	if err := ValidateLimits(limits); err != nil {
		return rec, false, err
	}
	if err := ValidateAutoReload(ia.AutoReload); err != nil {
		return rec, false, err
	}
	rec.Account = Account{
		APIKey:        ia.APIKey,
		PrimaryAPIKey: ia.PrimaryAPIKey,
		Balance:       ia.Balance,
		AutoReload:    ia.AutoReload,
		Limits:        limits,
		CreatedAt:     now,
	}
	rec.Secret = Secret{ID: NewID(), APIKey: ia.APIKey, Hash: ia.SecretHash, CreatedAt: now}
	return rec, hashIt, nil
}

// hashAll hashes the clear secrets of accts[i] for each i of which, on
// GOMAXPROCS workers that take the service's hashing slots like any
// request. When live traffic keeps the slots busy the import waits and
// tries again: it yields to authentication rather than failing. It stops
// when ctx ends.
func (s *Service) hashAll(ctx context.Context, accts []ImportAccount, recs []ImportRecord, which []int) error {
	if len(which) == 0 {
		return nil
	}
	workers := min(runtime.GOMAXPROCS(0), len(which))
	next := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				h, err := s.hashYielding(ctx, accts[i].Secret)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				recs[i].Secret.Hash = h
			}
		}()
	}
feed:
	for _, i := range which {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return firstErr
}

// hashYielding is s.hash, tried again after a pause while the hashing
// slots are all taken.
func (s *Service) hashYielding(ctx context.Context, secret string) (string, error) {
	for {
		h, err := s.hash(ctx, secret)
		if ErrorCode(err) != ERATELIMIT {
			return h, err
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

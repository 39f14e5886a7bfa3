package account

import "math"

// AddMoney returns balance + amount, or EINVALID on "amount" when the sum
// would overflow what an account can hold.
func AddMoney(balance, amount Money) (Money, error) {
	if amount > 0 && balance > math.MaxInt64-amount {
		return 0, Invalid("amount", "would take the balance beyond the largest amount an account can hold")
	}
	return balance + amount, nil
}

// LedgerCheck judges a ledger the same way for every store: a store's
// VerifyLedger reads, in one snapshot, every account (in key order) and
// then every ledger row (by key, then id), hands them here, and returns
// Report. The rules: each row's balance_after is the previous one plus the
// row's amount, starting from zero; none is negative; every row belongs to
// an account; each account's balance is the sum of its rows.
type LedgerCheck struct {
	rep      LedgerReport
	keys     []string
	balances map[string]Money
	sums     map[string]Money
}

// Account records an account and its stored balance.
func (c *LedgerCheck) Account(key string, balance Money) {
	if c.balances == nil {
		c.balances, c.sums = map[string]Money{}, map[string]Money{}
	}
	c.balances[key] = balance
	c.keys = append(c.keys, key)
}

// Row checks one ledger row against the rows of its account before it.
func (c *LedgerCheck) Row(id int64, key string, amount, after Money) {
	if c.balances == nil {
		c.balances, c.sums = map[string]Money{}, map[string]Money{}
	}
	c.rep.Rows++
	problem := func(msg string) {
		c.rep.Problems = append(c.rep.Problems, LedgerProblem{APIKey: key, TransactionID: id, Message: msg})
	}
	prev := c.sums[key]
	sum, err := AddMoney(prev, amount)
	if err != nil {
		problem("the ledger's running sum overflows")
		sum = prev
	}
	c.sums[key] = sum
	if after != sum {
		problem("balance_after " + after.String() + " does not follow from the rows before (" +
			prev.String() + " plus " + amount.String() + " is " + sum.String() + ")")
	}
	if after < 0 {
		problem("balance_after " + after.String() + " is negative")
	}
	if _, ok := c.balances[key]; !ok {
		problem("the row belongs to no account")
	}
}

// Report compares each account's balance with the sum of its rows and
// returns everything found.
func (c *LedgerCheck) Report() LedgerReport {
	rep := c.rep
	rep.Accounts = len(c.keys)
	for _, key := range c.keys {
		if c.balances[key] != c.sums[key] {
			rep.Problems = append(rep.Problems, LedgerProblem{APIKey: key,
				Message: "balance " + c.balances[key].String() + " differs from the sum of its ledger rows, " + c.sums[key].String()})
		}
	}
	return rep
}

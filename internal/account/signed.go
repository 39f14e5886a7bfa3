package account

import "strings"

// ParseSignedMoney parses a decimal string that may be negative, as the
// admin API writes ledger amounts ("-0.0068" for a charge) and balances
// ("10.17127500"), exactly. It is ParseMoney with one optional leading
// "-": no "+", no space, and the same EINVALID errors naming field.
func ParseSignedMoney(field, s string) (Money, error) {
	rest, neg := strings.CutPrefix(s, "-")
	m, err := ParseMoney(field, rest)
	if err != nil {
		return 0, err
	}
	if neg {
		return -m, nil
	}
	return m, nil
}

package account

import (
	"math"
	"strconv"
	"strings"
)

// Money is an amount of EUR in integer units of 10^-8 EUR (contract section 5).
// It never passes through a float.
type Money int64

// Scale is the number of Money units in one EUR.
const Scale = 100_000_000

// decimals is the number of decimal places Money can hold.
const decimals = 8

// ParseMoney parses a non-negative decimal string such as "10.50" or
// "0.00000001" exactly. Signs, exponents, more than 8 decimals, spaces or
// anything but digits and one point are refused. The error is an EINVALID
// naming field.
func ParseMoney(field, s string) (Money, error) {
	if s == "" {
		return 0, Invalid(field, "must be a decimal string such as \"10.50\"")
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || (hasPoint && frac == "") {
		return 0, Invalid(field, "must be a decimal string such as \"10.50\"")
	}
	if !allDigits(whole) || !allDigits(frac) {
		return 0, Invalid(field, "must contain only digits and one decimal point")
	}
	if len(frac) > decimals {
		return 0, Invalid(field, "has more than %d decimal places", decimals)
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 10 { // below 10^10 EUR, so units (and sums of a few) stay far below 2^63
		return 0, Invalid(field, "is too large")
	}
	var units int64
	for _, c := range whole {
		units = units*10 + int64(c-'0')
	}
	units *= Scale
	f := frac + strings.Repeat("0", decimals-len(frac))
	for i, c := range f {
		units += int64(c-'0') * pow10(decimals-1-i)
	}
	return Money(units), nil
}

// ParsePositiveMoney is ParseMoney for an amount to move: zero is refused.
func ParsePositiveMoney(field, s string) (Money, error) {
	m, err := ParseMoney(field, s)
	if err != nil {
		return 0, err
	}
	if m == 0 {
		return 0, Invalid(field, "must be greater than zero")
	}
	return m, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func pow10(n int) int64 {
	p := int64(1)
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}

// String renders m as a decimal with at least two and at most eight decimal
// places, without trailing zeros beyond the second: "10.50", "0.0068".
func (m Money) String() string {
	s := m.Fixed()
	s = strings.TrimRight(s, "0")
	if i := strings.IndexByte(s, '.'); len(s)-i-1 < 2 {
		s += strings.Repeat("0", 2-(len(s)-i-1))
	}
	return s
}

// Fixed renders m with exactly eight decimal places, as the balance endpoint
// does: "10.17127500".
func (m Money) Fixed() string {
	u := int64(m)
	neg := u < 0
	var abs uint64
	if neg {
		if u == math.MinInt64 {
			abs = uint64(math.MaxInt64) + 1
		} else {
			abs = uint64(-u)
		}
	} else {
		abs = uint64(u)
	}
	whole := strconv.FormatUint(abs/Scale, 10)
	frac := strconv.FormatUint(abs%Scale, 10)
	frac = strings.Repeat("0", decimals-len(frac)) + frac
	if neg {
		return "-" + whole + "." + frac
	}
	return whole + "." + frac
}

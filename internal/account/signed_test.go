package account_test

import (
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

func TestParseSignedMoney(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want account.Money
	}{
		{"-0.0068", -680_000},
		{"10.17127500", 1_017_127_500},
		{"0", 0},
		{"-0.00", 0},
		{"-9999999999.99999999", -999_999_999_999_999_999},
		{"0.00000001", 1},
	} {
		got, err := account.ParseSignedMoney("amount", c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSignedMoney(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "-", "--1", "+1", "- 1", " -1", "-1e3", "-.5", "-1.", "-0.000000001", "-10000000000", "1-"} {
		_, err := account.ParseSignedMoney("amount", in)
		if e := account.AsError(err); e == nil || e.Code != account.EINVALID || e.Field != "amount" {
			t.Errorf("ParseSignedMoney(%q) error = %v; want EINVALID naming amount", in, err)
		}
	}
}

// FuzzParseSignedMoney: ParseSignedMoney is ParseMoney with an optional
// minus sign, and every amount in range, negative ones too, survives
// String and Fixed.
func FuzzParseSignedMoney(f *testing.F) {
	for _, s := range []string{"-0.0068", "10.17127500", "-0", "--1", "+1", "-", "-1e3", "-9999999999.99999999", "- 1"} {
		f.Add(s, int64(0))
	}
	f.Add("", int64(-680_000))
	f.Add("", int64(-999_999_999_999_999_999))
	f.Fuzz(func(t *testing.T, s string, n int64) {
		m, err := account.ParseSignedMoney("amount", s)
		rest, neg := strings.CutPrefix(s, "-")
		want, wantErr := account.ParseMoney("amount", rest)
		if neg {
			want = -want
		}
		if (err == nil) != (wantErr == nil) || (err == nil && m != want) {
			t.Fatalf("ParseSignedMoney(%q) = %d, %v; ParseMoney of the magnitude: %d, %v", s, m, err, want, wantErr)
		}
		if e := account.AsError(err); err != nil && (e == nil || e.Code != account.EINVALID || e.Field != "amount") {
			t.Fatalf("ParseSignedMoney(%q): %v is not an EINVALID naming amount", s, err)
		}
		const limit = 10_000_000_000 * account.Scale
		if n > -limit && n < limit {
			for _, out := range []string{account.Money(n).String(), account.Money(n).Fixed()} {
				if back, err := account.ParseSignedMoney("amount", out); err != nil || back != account.Money(n) {
					t.Fatalf("%d rendered %q reads back as %d, %v", n, out, back, err)
				}
			}
		}
	})
}

package account

import "testing"

func TestParseMoney(t *testing.T) {
	t.Parallel()
	ok := []struct {
		in   string
		want Money
	}{
		{"0", 0},
		{"0.00000001", 1},
		{"10.50", 1_050_000_000},
		{"10.5", 1_050_000_000},
		{"0.0068", 680_000},
		{"007.10", 710_000_000},
		{"9999999999.99999999", 999_999_999_999_999_999},
	}
	for _, c := range ok {
		got, err := ParseMoney("amount", c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	bad := []string{"", ".", "1.", ".5", "-1", "+1", "1e5", "1.000000001", "1,5", " 1", "1 ", "1.2.3", "0x10", "١", "10000000000", "NaN"}
	for _, in := range bad {
		_, err := ParseMoney("amount", in)
		e := AsError(err)
		if e == nil || e.Code != EINVALID || e.Field != "amount" {
			t.Errorf("ParseMoney(%q) error = %v; want EINVALID naming amount", in, err)
		}
	}
	if _, err := ParsePositiveMoney("amount", "0.00"); ErrorCode(err) != EINVALID {
		t.Errorf("ParsePositiveMoney(0) = %v; want EINVALID", err)
	}
}

func TestMoneyFormat(t *testing.T) {
	t.Parallel()
	cases := []struct {
		m            Money
		fixed, short string
	}{
		{0, "0.00000000", "0.00"},
		{1, "0.00000001", "0.00000001"},
		{1_017_127_500, "10.17127500", "10.171275"},
		{1_050_000_000, "10.50000000", "10.50"},
		{680_000, "0.00680000", "0.0068"},
		{-150_000_000, "-1.50000000", "-1.50"},
	}
	for _, c := range cases {
		if got := c.m.Fixed(); got != c.fixed {
			t.Errorf("Money(%d).Fixed() = %q; want %q", c.m, got, c.fixed)
		}
		if got := c.m.String(); got != c.short {
			t.Errorf("Money(%d).String() = %q; want %q", c.m, got, c.short)
		}
		if c.m >= 0 {
			back, err := ParseMoney("x", c.m.String())
			if err != nil || back != c.m {
				t.Errorf("round trip of %d via %q = %d, %v", c.m, c.m.String(), back, err)
			}
		}
	}
}

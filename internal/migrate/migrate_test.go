package migrate

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestApply(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"0002_more.sql":  {Data: []byte("two")},
		"0001_init.sql":  {Data: []byte("one")},
		"0010_later.sql": {Data: []byte("ten")},
		"README.md":      {Data: []byte("not a step")},
	}
	var ran []string
	record := func(s Step) error { ran = append(ran, s.Name+"="+s.SQL); return nil }
	if err := Apply(fsys, []int{2}, record); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ran, " "); got != "0001_init.sql=one 0010_later.sql=ten" {
		t.Errorf("ran %s", got)
	}

	ran = nil
	err := Apply(fsys, []int{1, 999999}, record)
	if err == nil || !strings.Contains(err.Error(), "999999") || ran != nil {
		t.Errorf("unknown version: %v, ran %v", err, ran)
	}

	boom := errors.New("boom")
	err = Apply(fsys, nil, func(Step) error { return boom })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "0001_init.sql") {
		t.Errorf("failing step: %v", err)
	}

	for name, bad := range map[string]fstest.MapFS{
		"no number":      {"init.sql": {}},
		"zero":           {"0000_init.sql": {}},
		"shared version": {"0001_a.sql": {}, "001_b.sql": {}},
	} {
		if err := Apply(bad, nil, record); err == nil {
			t.Errorf("%s: Apply accepted it", name)
		}
	}
}

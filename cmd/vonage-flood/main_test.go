package main

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
)

// TestFloodSmoke runs a very short flood and checks the report: the
// owner was always served, and the attackers were answered (401 or 429),
// never with a server error.
func TestFloodSmoke(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("hashes with OWASP's argon2id cost")
	}
	// Each attacker's first guess waits for an argon2id hash; under -race
	// on a loaded machine none may be answered within a short phase, which
	// would leave nothing to check. Then the phase is run again, longer.
	var rep report
	for _, d := range []string{"1500ms", "6s"} {
		var out bytes.Buffer
		if err := run([]string{"--duration", d, "--attackers", "8", "--attacker-addrs", "2", "--json"}, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		rep = report{}
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("%v in %s", err, out.Bytes())
		}
		if rep.Flood.AttackRequests > 0 {
			break
		}
		t.Logf("a %s flood had no attack answered (the machine is slow): %+v", d, rep.Flood)
	}
	for _, p := range []phase{rep.Baseline, rep.Flood} {
		if p.HonestRequests == 0 || p.HonestFailures != 0 {
			t.Errorf("%s: owner made %d calls, %d failed", p.Name, p.HonestRequests, p.HonestFailures)
		}
	}
	f := rep.Flood
	if f.AttackRequests == 0 || f.AttackOther != 0 || f.Attack401+f.Attack429 == 0 {
		t.Errorf("flood: %+v", f)
	}
	if rep.Baseline.AttackRequests != 0 {
		t.Errorf("attack during the baseline: %+v", rep.Baseline)
	}
}

func TestFloodFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--duration", "2m"}, {"--attackers", "0"}, {"--mode", "carrier-pigeon"}, {"--attacker-addrs", "500"}} {
		if err := run(args, io.Discard, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

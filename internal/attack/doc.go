// Package attack holds the attack test suite: what one hostile host can do
// to `vonage serve` on its defaults (issue 11), reproduced on loopback with
// bounded counts and durations, each test asserting the defence's target.
// The attacker connects from 127.0.0.2 and up, the honest client from
// 127.0.0.1; tests that need that skip where the system cannot bind those
// addresses. The package has only tests.
package attack

// Package e2e holds end-to-end proofs about money: a real HTTP server on a
// real database file under concurrent load (money_test.go), and the
// `vonage serve` binary killed mid-load and restarted (crash_test.go). It
// has no code of its own; its tests are skipped with -short.
package e2e

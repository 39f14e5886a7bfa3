//go:build race

package storetest

// raceDetector is true when the race detector is on (go test -race).
const raceDetector = true

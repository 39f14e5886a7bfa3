// Package conformance runs SDKs that this project did not write against a
// real `vonage serve`: the proof that the server speaks the Vonage API the
// way published clients expect. The package has only tests; each SDK's own
// side lives under conformance/ at the top of the repository.
package conformance

package account

// SignatureMatches reports whether sig is the signature of params (every
// parameter received, sig among them or not) under method and secret, as
// a receiver of a signed callback checks it (`vonage listen`).
func SignatureMatches(method, secret, sig string, params []Param) bool {
	return signatureMatches(method, secret, sig, params)
}

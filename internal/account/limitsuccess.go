package account

import "time"

// SuccessStore is a LimitStore that can charge a successful
// authentication in one operation: the fill of the pair's failure bucket
// (a success resets the pair) and the account's call. A store that counts
// elsewhere (internal/redislimit) then makes one round trip for the two
// instead of two. The service uses it when its LimitStore implements it,
// and only when there is both a pair bucket to fill and a call rate to
// apply; otherwise it calls Fill or TakeCall alone, as a store without
// it.
type SuccessStore interface {
	LimitStore
	// FillTakeCall is Fill(b) followed by TakeCall(apiKey, perSecond),
	// perSecond > 0, and returns what TakeCall returns. b is filled even
	// when the call is refused, as with the two calls.
	FillTakeCall(b Bucket, apiKey string, perSecond int) (time.Duration, bool)
}

// FillTakeCall implements SuccessStore: in this process the two are no
// dearer apart than together.
func (l *localLimits) FillTakeCall(b Bucket, apiKey string, perSecond int) (time.Duration, bool) {
	l.Fill(b)
	return l.TakeCall(apiKey, perSecond)
}

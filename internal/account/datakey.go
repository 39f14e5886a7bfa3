package account

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// DataKeyLen is the length of the data key that seals signature secrets
// at rest: AES-256.
const DataKeyLen = 32

// sealVersion is the first byte of every sealed value: the key (and
// scheme) that sealed it, so the key can be rotated later by adding a
// version and reading both.
const sealVersion byte = 1

// ParseDataKey reads a data key as VONAGE_DATA_KEY and a key file hold it:
// DataKeyLen bytes in standard base64 (`openssl rand -base64 32`), white
// space around it ignored. The error never quotes the input.
func ParseDataKey(text string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
	if err != nil {
		return nil, errors.New("is not standard base64")
	}
	if len(key) != DataKeyLen {
		return nil, fmt.Errorf("must be %d bytes (openssl rand -base64 %d), not %d", DataKeyLen, DataKeyLen, len(key))
	}
	return key, nil
}

// DataKey seals and opens values with AES-256-GCM. The additional data is
// the version byte and the API key the value belongs to, so a sealed value
// copied to another account's row does not open.
type DataKey struct{ aead cipher.AEAD }

// NewDataKey returns the DataKey of key (DataKeyLen bytes).
func NewDataKey(key []byte) (*DataKey, error) {
	if len(key) != DataKeyLen {
		return nil, fmt.Errorf("data key: must be %d bytes, not %d", DataKeyLen, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("data key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("data key: %w", err)
	}
	return &DataKey{aead: aead}, nil
}

func additionalData(apiKey string) []byte {
	return append([]byte{sealVersion}, apiKey...)
}

// seal returns version || nonce || ciphertext of plain for apiKey.
func (k *DataKey) seal(apiKey string, plain []byte) []byte {
	out := make([]byte, 1+k.aead.NonceSize(), 1+k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return k.aead.Seal(out, out[1:], plain, additionalData(apiKey))
}

// errUnsealable is any sealed value that does not open: another version,
// another key, another account's, or damaged.
var errUnsealable = errors.New("the sealed value does not open with this data key")

// open returns the plain text sealed for apiKey.
func (k *DataKey) open(apiKey string, sealed []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < 1+n+k.aead.Overhead() || sealed[0] != sealVersion {
		return nil, errUnsealable
	}
	plain, err := k.aead.Open(nil, sealed[1:1+n], sealed[1+n:], additionalData(apiKey))
	if err != nil {
		return nil, errUnsealable
	}
	return plain, nil
}

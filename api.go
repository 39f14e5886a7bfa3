package vonage

import "context"

// AccountAPI is every call of the Account API in its context form. Code that
// takes an AccountAPI instead of an *AccountClient can be tested with a stub
// and no HTTP at all; *AccountClient is the real implementation. The short
// forms (GetBalance, ...) are left out: they only add context.Background.
type AccountAPI interface {
	GetBalanceContext(ctx context.Context) (AccountBalanceResponse, ErrorResponse, error)
	GetConfigContext(ctx context.Context) (AccountConfigResponse, ErrorResponse, error)
	SetConfigContext(ctx context.Context, opts AccountConfigSettings) (AccountConfigResponse, ErrorResponse, error)
	UpdateConfigContext(ctx context.Context, upd AccountConfigUpdate) (AccountConfigResponse, ErrorResponse, error)
	TopUpContext(ctx context.Context, trx string) (TopUpResponse, ErrorResponse, error)

	ListSecretsContext(ctx context.Context) (AccountSecretCollection, ErrorResponse, error)
	GetSecretContext(ctx context.Context, id string) (AccountSecret, ErrorResponse, error)
	CreateSecretContext(ctx context.Context, secret string) (AccountSecret, ErrorResponse, error)
	DeleteSecretContext(ctx context.Context, id string) (bool, ErrorResponse, error)

	ListSecretsForKey(ctx context.Context, apiKey string) (AccountSecretCollection, ErrorResponse, error)
	GetSecretForKey(ctx context.Context, apiKey, id string) (AccountSecret, ErrorResponse, error)
	CreateSecretForKey(ctx context.Context, apiKey, secret string) (AccountSecret, ErrorResponse, error)
	DeleteSecretForKey(ctx context.Context, apiKey, id string) (bool, ErrorResponse, error)

	RotateSecret(ctx context.Context, newSecret string, opts ...RotateOption) (RotationResult, error)
	RotateSecretForKey(ctx context.Context, apiKey, newSecret string, opts ...RotateOption) (RotationResult, error)
}

var _ AccountAPI = (*AccountClient)(nil)

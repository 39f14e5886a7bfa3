package account

import (
	"context"
	"time"
)

// The webhook queue's methods of deadlineStore (dbtimeout.go).

func (s deadlineStore) SetWebhookMethod(ctx context.Context, apiKey, method string) error {
	return bounded0(s, ctx, "SetWebhookMethod", s.d, func(ctx context.Context) error { return s.inner.SetWebhookMethod(ctx, apiKey, method) })
}

func (s deadlineStore) WebhookMethod(ctx context.Context, apiKey string) (string, error) {
	return bounded(s, ctx, "WebhookMethod", s.d, func(ctx context.Context) (string, error) { return s.inner.WebhookMethod(ctx, apiKey) })
}

func (s deadlineStore) EnqueueWebhooks(ctx context.Context, ds []Delivery) ([]int64, error) {
	return bounded(s, ctx, "EnqueueWebhooks", s.d, func(ctx context.Context) ([]int64, error) { return s.inner.EnqueueWebhooks(ctx, ds) })
}

func (s deadlineStore) ClaimWebhooks(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error) {
	return bounded(s, ctx, "ClaimWebhooks", s.d, func(ctx context.Context) ([]Delivery, error) {
		return s.inner.ClaimWebhooks(ctx, now, lease, limit)
	})
}

func (s deadlineStore) FinishWebhookAttempt(ctx context.Context, id, claim int64, a Attempt, state string, next time.Time) (bool, error) {
	return bounded(s, ctx, "FinishWebhookAttempt", s.d, func(ctx context.Context) (bool, error) {
		return s.inner.FinishWebhookAttempt(ctx, id, claim, a, state, next)
	})
}

func (s deadlineStore) ReleaseWebhook(ctx context.Context, id, claim int64, next time.Time) (bool, error) {
	return bounded(s, ctx, "ReleaseWebhook", s.d, func(ctx context.Context) (bool, error) { return s.inner.ReleaseWebhook(ctx, id, claim, next) })
}

func (s deadlineStore) Webhooks(ctx context.Context, apiKey string, before int64, limit int) ([]Delivery, error) {
	return bounded(s, ctx, "Webhooks", s.d, func(ctx context.Context) ([]Delivery, error) { return s.inner.Webhooks(ctx, apiKey, before, limit) })
}

func (s deadlineStore) WebhookQueueDepth(ctx context.Context) (int, error) {
	return bounded(s, ctx, "WebhookQueueDepth", s.d, func(ctx context.Context) (int, error) { return s.inner.WebhookQueueDepth(ctx) })
}

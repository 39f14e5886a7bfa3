// Package multiinstance holds the proofs of the promises the server makes
// when several instances share one PostgreSQL database (contract sections 4,
// 6 and 7): each test starts two complete servers in-process (two
// postgres.Open stores, two account.Services with their own verification
// caches, two httpapi servers on two random ports) on one fresh schema, and
// drives them over HTTP only.
//
//   - TestRevocationAcrossInstances: once DELETE of a secret has answered 204
//     on one instance, the other rejects that secret on its next request,
//     although it had just accepted (and cached) it.
//   - TestAtMostTwoSecretsAcrossInstances and
//     TestAtLeastOneSecretAcrossInstances: two creates, or two revokes,
//     racing on the two instances leave exactly two, or exactly one, secret.
//   - TestMoneyAcrossInstances: concurrent idempotent credits and charges on
//     both instances add up exactly, move money once per key and never take
//     a balance below zero.
//   - TestConcurrentStartup: two instances starting together on an empty
//     schema both come up, migrate once and bootstrap one account.
//   - TestCallRateAcrossInstances and TestFailureLimitsAcrossInstances:
//     with --limits-url, an account's max-calls-per-second and a client's
//     failure limits hold across both instances as on one.
//   - TestLimitsWhenRedisStops: a Redis that hangs, then one that is gone,
//     leaves both instances answering on their local limits, each call
//     waiting at most the short Redis deadline, and the limits go back to
//     Redis when it answers again.
//
// It has no code of its own. The tests read VONAGE_TEST_POSTGRES_URL and
// are skipped without it; each uses a schema of its own, dropped when it
// ends. The first two limits tests also read VONAGE_TEST_REDIS_URL (each
// uses a key prefix of its own); the third starts a redis-server of its
// own and is skipped when none is installed.
package multiinstance

// Drives every method of the published Node SDK's Accounts and Secrets
// clients (@vonage/accounts) against a running `vonage serve`, and asserts
// on what the SDK returns or throws. internal/conformance/node_test.go
// starts the server, makes the accounts through the admin API and runs this
// file once over HTTP and once over HTTPS; run by hand, set the variables
// below yourself.
//
//   VONAGE_BASE_URL            the server, e.g. http://127.0.0.1:8080 (no trailing slash)
//   VONAGE_API_KEY, VONAGE_API_SECRET
//                              an account with one secret, no auto-reload
//   VONAGE_BALANCE             that account's balance in EUR
//   VONAGE_MAX_CALLS           its max-calls-per-second limit
//   VONAGE_RELOAD_API_KEY, VONAGE_RELOAD_API_SECRET
//                              an account with auto-reload on
//   VONAGE_RELOAD_TRX          one of its reloads' trx
//   VONAGE_RELOAD_AMOUNT, VONAGE_RELOAD_BALANCE
//                              the reload amount and that account's balance
//   VONAGE_EXPECT_UNTRUSTED=1  only check that an https base URL is refused
//                              when its CA is not trusted (NODE_EXTRA_CA_CERTS unset)
//
// It is an ES module because the SDK's CommonJS build requires an ES-only
// dependency (uuid), which Node before 20.19 cannot load; the ES build runs
// on Debian's Node 18 as well.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import test from 'node:test';
import { Accounts, Secrets } from '@vonage/accounts';

const env = (name) => {
  const v = process.env[name];
  assert.ok(v, `${name} must be set`);
  return v;
};

const base = env('VONAGE_BASE_URL');
// The SDK appends "/account/…" to the host as given: one base for both.
const hosts = { restHost: base, apiHost: base };
const accounts = (apiKey, apiSecret) => new Accounts({ apiKey, apiSecret }, hosts);
const secrets = (apiKey, apiSecret) => new Secrets({ apiKey, apiSecret }, hosts);

const problemPrefix = 'https://developer.nexmo.com/api-errors';
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const rfc3339Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

// failure awaits a call the SDK must reject with an HTTP error, checks the
// status and returns the decoded error body. The SDK throws a VetchError
// whose message names the status and whose response is the fetch Response,
// body unread.
async function failure(call, status) {
  let err;
  try {
    const got = await call;
    assert.fail(`expected HTTP ${status}, the SDK returned ${JSON.stringify(got)}`);
  } catch (e) {
    err = e;
  }
  if (err instanceof assert.AssertionError) throw err;
  assert.ok(err.response, `expected an HTTP error, got ${err.stack ?? err}`);
  assert.equal(err.message, `Request failed with status code ${status}`);
  assert.equal(err.response.status, status);
  return err.response.json();
}

// problem checks an RFC 7807 body of the secrets endpoints (contract 3).
function problem(body, type, title, detail) {
  assert.equal(body.type, problemPrefix + type);
  assert.equal(body.title, title);
  if (detail !== undefined) assert.equal(body.detail, detail);
  assert.match(body.instance, /\S/);
}

function secretObject(got, apiKey) {
  assert.deepEqual(Object.keys(got).sort(), ['_links', 'created_at', 'id']);
  assert.match(got.id, uuid);
  assert.match(got.created_at, rfc3339Z);
  assert.deepEqual(got._links, { self: { href: `/accounts/${apiKey}/secrets/${got.id}` } });
}

if (process.env.VONAGE_EXPECT_UNTRUSTED === '1') {
  test('an untrusted self-signed certificate is refused', async () => {
    assert.ok(base.startsWith('https://'), 'only meaningful over https');
    const err = await accounts(env('VONAGE_API_KEY'), env('VONAGE_API_SECRET')).getBalance().then(
      (got) => assert.fail(`the SDK trusted the server: ${JSON.stringify(got)}`),
      (e) => e,
    );
    if (err instanceof assert.AssertionError) throw err;
    assert.ok(!err.response, `an HTTP answer arrived: ${err.response?.status}`);
    const code = err.cause?.code ?? '';
    assert.match(code, /CERT|SIGNATURE|ISSUER/, `want a certificate error, got ${err.stack ?? err}`);
  });
} else {
  const key = env('VONAGE_API_KEY');
  const secret = env('VONAGE_API_SECRET');
  const reloadKey = env('VONAGE_RELOAD_API_KEY');
  const reloadSecret = env('VONAGE_RELOAD_API_SECRET');

  test('Accounts', async (t) => {
    const client = accounts(key, secret);

    await t.test('getBalance', async () => {
      assert.deepEqual(await client.getBalance(), {
        value: Number(env('VONAGE_BALANCE')),
        autoReload: false,
      });
    });

    await t.test('getBalance with a wrong secret', async () => {
      const body = await failure(accounts(key, secret + 'x').getBalance(), 401);
      assert.deepEqual(body, { 'error-code': '401', 'error-code-label': 'authentication failed' });
    });

    await t.test('updateAccountCallbacks sets, reads and clears', async () => {
      const limit = Number(env('VONAGE_MAX_CALLS'));
      const settings = (mo, dr) => ({
        'mo-callback-url': mo,
        'dr-callback-url': dr,
        'max-outbound-request': 30,
        'max-inbound-request': 30,
        'max-calls-per-second': limit,
      });
      const mo = 'https://example.com/webhooks/inbound-sms';
      const dr = 'https://example.com/webhooks/delivery-receipts?x=1';
      assert.deepEqual(
        await client.updateAccountCallbacks({ moCallBackUrl: mo, drCallBackUrl: dr }),
        settings(mo, dr),
      );
      // No field is a read; an empty string clears only that field.
      assert.deepEqual(await client.updateAccountCallbacks({}), settings(mo, dr));
      assert.deepEqual(await client.updateAccountCallbacks({ drCallBackUrl: '' }), settings(mo, ''));
    });

    await t.test('updateAccountCallbacks with a bad URL changes nothing', async () => {
      const body = await failure(client.updateAccountCallbacks({ moCallBackUrl: 'ftp://example.com/x' }), 400);
      assert.equal(body['error-code'], '400');
      assert.match(body['error-code-label'], /^moCallBackUrl: /);
      const now = await client.updateAccountCallbacks({});
      assert.equal(now['mo-callback-url'], 'https://example.com/webhooks/inbound-sms');
    });

    await t.test('topUpBalance repeats a reload', async () => {
      const reload = accounts(reloadKey, reloadSecret);
      const before = Number(env('VONAGE_RELOAD_BALANCE'));
      assert.deepEqual(await reload.getBalance(), { value: before, autoReload: true });
      assert.deepEqual(await reload.topUpBalance(env('VONAGE_RELOAD_TRX')), {
        'error-code': '200',
        'error-code-label': 'success',
      });
      assert.deepEqual(await reload.getBalance(), {
        value: before + Number(env('VONAGE_RELOAD_AMOUNT')),
        autoReload: true,
      });
    });

    await t.test('topUpBalance with an unknown trx', async () => {
      const body = await failure(accounts(reloadKey, reloadSecret).topUpBalance('00X123456Y7890123Z'), 400);
      assert.equal(body['error-code'], '400');
      assert.match(body['error-code-label'], /\S/);
    });

    await t.test('topUpBalance without auto-reload', async () => {
      const body = await failure(client.topUpBalance(env('VONAGE_RELOAD_TRX')), 401);
      assert.deepEqual(body, { 'error-code': '401', 'error-code-label': 'not auto-reload enabled' });
      assert.equal((await client.getBalance()).value, Number(env('VONAGE_BALANCE')));
    });
  });

  test('Secrets', async (t) => {
    const first = secrets(key, secret);
    const second = 'Second2Secret';
    let firstId;
    let secondId;

    await t.test('listSecrets', async () => {
      const got = await first.listSecrets(key);
      assert.deepEqual(got._links, { self: { href: `/accounts/${key}/secrets` } });
      assert.equal(got._embedded.secrets.length, 1);
      secretObject(got._embedded.secrets[0], key);
      firstId = got._embedded.secrets[0].id;
    });

    await t.test('getSecret', async () => {
      const got = await first.getSecret(key, firstId);
      secretObject(got, key);
      assert.equal(got.id, firstId);
    });

    await t.test('listSecrets with a wrong secret', async () => {
      const body = await failure(secrets(key, 'Wrong1Secret').listSecrets(key), 401);
      problem(body, '#unauthorized', 'Invalid credentials supplied', 'You did not provide correct credentials.');
    });

    await t.test("listSecrets of another account's key", async () => {
      const body = await failure(first.listSecrets(reloadKey), 404);
      problem(body, '#invalid-api-key', 'Invalid API Key');
    });

    await t.test('createSecret with a weak secret', async () => {
      const body = await failure(first.createSecret(key, 'weak'), 400);
      problem(body, '/account/secret-management#validation', 'Bad Request', 'The request failed due to validation errors');
      assert.equal(body.invalid_parameters.length, 1);
      assert.equal(body.invalid_parameters[0].name, 'secret');
      assert.equal((await first.listSecrets(key))._embedded.secrets.length, 1);
    });

    await t.test('createSecret', async () => {
      const got = await first.createSecret(key, second);
      secretObject(got, key);
      secondId = got.id;
      const ids = (await first.listSecrets(key))._embedded.secrets.map((s) => s.id);
      assert.deepEqual(ids, [firstId, secondId], 'oldest first');
    });

    await t.test('createSecret a third time', async () => {
      const body = await failure(first.createSecret(key, 'Third3Secret'), 403);
      problem(
        body,
        '/account/secret-management#add-excess-secret',
        'Secret Addition Forbidden',
        'Account reached maximum number [2] of allowed secrets',
      );
      assert.equal((await first.listSecrets(key))._embedded.secrets.length, 2);
    });

    await t.test('the new secret authenticates both hosts', async () => {
      assert.equal((await secrets(key, second).getSecret(key, secondId)).id, secondId);
      assert.equal((await accounts(key, second).getBalance()).value, Number(env('VONAGE_BALANCE')));
    });

    await t.test('getSecret and deleteSecret of an unknown id', async () => {
      const unknown = randomUUID();
      for (const call of [first.getSecret(key, unknown), first.deleteSecret(key, unknown)]) {
        problem(await failure(call, 404), '#invalid-id', 'Invalid ID');
      }
    });

    await t.test('deleteSecret revokes the old secret', async () => {
      const rotated = secrets(key, second);
      assert.equal(await rotated.deleteSecret(key, firstId), undefined);
      const ids = (await rotated.listSecrets(key))._embedded.secrets.map((s) => s.id);
      assert.deepEqual(ids, [secondId]);
      problem(await failure(first.listSecrets(key), 401), '#unauthorized', 'Invalid credentials supplied');
      assert.equal((await failure(accounts(key, secret).getBalance(), 401))['error-code'], '401');
    });

    await t.test('deleteSecret of the last secret', async () => {
      const rotated = secrets(key, second);
      const body = await failure(rotated.deleteSecret(key, secondId), 403);
      problem(
        body,
        '/account/secret-management#delete-last-secret',
        'Secret Deletion Forbidden',
        'Can not delete the last secret. The account must always have at least 1 secret active at any time',
      );
      assert.equal((await rotated.getSecret(key, secondId)).id, secondId);
    });
  });
}

"""Drives the Python SDK's Account client against a running `vonage serve`.

Run by hand, not in CI (the Python SDK comes from PyPI, which CI cannot
reach). The SDK always builds https://{host}, so the server must serve
HTTPS; requests trusts the self-signed certificate through
REQUESTS_CA_BUNDLE:

    vonage serve --tls-self-signed          # prints the CA file and the URL
    pip install vonage
    REQUESTS_CA_BUNDLE=/path/vonage.db-tls-cert.pem \\
    VONAGE_HOST=localhost:8080 VONAGE_API_KEY=... VONAGE_API_SECRET=... \\
    python3 check_account.py

It needs an account with exactly one secret and no auto-reload, and leaves
it with one secret: a new one the script makes and never prints, so use a
throwaway account. Exit status 0 and "N passed, 0 failed" mean the SDK and
the server agree.
"""

import os
import sys
import uuid

from vonage_account import Account
from vonage_http_client import Auth, HttpClient, HttpClientOptions
from vonage_http_client.errors import AuthenticationError, ForbiddenError, HttpRequestError, NotFoundError

host = os.environ['VONAGE_HOST']
key = os.environ['VONAGE_API_KEY']
secret = os.environ['VONAGE_API_SECRET']
opts = HttpClientOptions(api_host=host, rest_host=host)


def account(api_secret):
    return Account(HttpClient(Auth(api_key=key, api_secret=api_secret), opts))


passed, failed = 0, 0


def check(name, fn):
    global passed, failed
    try:
        fn()
        passed += 1
        print(f'ok   {name}')
    except Exception as e:  # noqa: BLE001 - every failure is reported, then counted
        failed += 1
        print(f'FAIL {name}: {e!r}')


def expect(exc, status, fn):
    try:
        fn()
    except exc as e:
        assert e.response.status_code == status, e.response.status_code
        return e.response.json()
    raise AssertionError(f'no {exc.__name__}')


a = account(secret)
new = 'Py2' + uuid.uuid4().hex[:12]  # a fresh secret for each run
ids = {}


def balance():
    b = a.get_balance()
    assert isinstance(b.value, float) and b.auto_reload is False, b


def settings():
    s = a.update_default_sms_webhook(mo_callback_url='https://example.com/mo', dr_callback_url='')
    assert s.mo_callback_url == 'https://example.com/mo' and s.dr_callback_url == '', s
    assert s.max_calls_per_second > 0, s


def top_up_without_auto_reload():
    body = expect(AuthenticationError, 401, lambda: a.top_up('00X123456Y7890123Z'))
    assert body['error-code-label'] == 'not auto-reload enabled', body


def wrong_secret():
    expect(AuthenticationError, 401, lambda: account(secret + 'x').get_balance())
    body = expect(AuthenticationError, 401, lambda: account(secret + 'x').list_secrets())
    assert body['detail'] == 'You did not provide correct credentials.', body


def list_and_get():
    got = a.list_secrets()
    assert len(got) == 1, got
    ids['first'] = got[0].id
    assert a.get_secret(got[0].id).id == got[0].id


def create_second_and_third():
    ids['second'] = a.create_secret(new).id
    body = expect(ForbiddenError, 403, lambda: a.create_secret('Python3Third'))
    assert body['detail'] == 'Account reached maximum number [2] of allowed secrets', body


def weak_secret_sent_anyway():
    # The SDK refuses a weak secret itself; send one past that check.
    a._is_valid_secret = lambda s: True
    body = expect(HttpRequestError, 400, lambda: a.create_secret('weakweak'))
    assert body['invalid_parameters'][0]['name'] == 'secret', body


def unknown_id():
    expect(NotFoundError, 404, lambda: a.get_secret(str(uuid.uuid4())))


def revoke_old_then_last():
    b = account(new)
    b.revoke_secret(ids['first'])
    expect(AuthenticationError, 401, lambda: a.get_balance())
    body = expect(ForbiddenError, 403, lambda: b.revoke_secret(ids['second']))
    assert body['type'].endswith('#delete-last-secret'), body


for fn in (balance, settings, top_up_without_auto_reload, wrong_secret, list_and_get,
           create_second_and_third, weak_secret_sent_anyway, unknown_id, revoke_old_then_last):
    check(fn.__name__, fn)
print(f'{passed} passed, {failed} failed')
sys.exit(1 if failed else 0)

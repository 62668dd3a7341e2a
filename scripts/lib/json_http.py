"""JSON over HTTP for the test scripts' inline Python (standard library only).

`call` answers (status, parsed body or None) for any status, so a check can assert on refusals
as on successes; `post` is `call` with POST and a body.
"""
import json
import urllib.error
import urllib.request


def call(url, method="GET", body=None, bearer=None):
    headers = {"content-type": "application/json"}
    if bearer:
        headers["authorization"] = "Bearer " + bearer
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def post(url, body):
    return call(url, "POST", body)

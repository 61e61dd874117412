#!/usr/bin/env python3
"""Submit a job to a Crank node's HTTP gateway, follow its events, print its result.

Python standard library only. By default it classifies an e-mail:

    python3 examples/python/submit.py message.eml
    python3 examples/python/submit.py --gateway http://127.0.0.1:4600 --token "$TOKEN" message.eml
    python3 examples/python/submit.py --capability email.parse --raw message.eml

The file goes as base64 inside a JSON body, or with --raw as the request body itself
(application/octet-stream, streamed into the job). An Idempotency-Key makes a retried submit
return the same job. Events are read as Server-Sent Events; a dropped stream is resumed with
Last-Event-ID. Exit status: 0 succeeded, 1 the job ended otherwise, 2 the gateway refused.
"""

import argparse
import base64
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

TERMINAL = {"succeeded", "failed", "cancelled", "expired"}


class Refused(Exception):
    """The gateway answered with a problem document (RFC 9457)."""

    def __init__(self, status, problem):
        super().__init__(f"{status} {problem.get('code')}: {problem.get('detail')}")
        self.status = status
        self.problem = problem


def request(gateway, token, method, path, body=None, headers=None, timeout=60):
    req = urllib.request.Request(urllib.parse.urljoin(gateway, path), data=body, method=method)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        return urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as err:
        text = err.read().decode("utf-8", "replace")
        try:
            problem = json.loads(text)
        except ValueError:
            problem = {"code": "http_error", "detail": text or err.reason}
        raise Refused(err.code, problem) from None


def submit(args):
    key = str(uuid.uuid4())
    params = json.loads(args.params)
    if args.raw:
        query = urllib.parse.urlencode({"capability": args.capability, "params": json.dumps(params)})
        size = os.path.getsize(args.file)
        with open(args.file, "rb") as body:
            res = request(
                args.gateway,
                args.token,
                "POST",
                f"/v1/jobs?{query}",
                body=body,
                headers={"Content-Type": "application/octet-stream", "Content-Length": str(size), "Idempotency-Key": key},
            )
    else:
        with open(args.file, "rb") as f:
            data = base64.b64encode(f.read()).decode("ascii")
        body = json.dumps({"capability": args.capability, "params": params, "input": {"base64": data}}).encode("utf-8")
        res = request(
            args.gateway,
            args.token,
            "POST",
            "/v1/jobs",
            body=body,
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
        )
    with res:
        return json.load(res)


def events(gateway, token, path):
    """Yields (event, data) from an SSE stream, resuming after a dropped connection."""
    last_id = None
    while True:
        headers = {"Accept": "text/event-stream"}
        if last_id is not None:
            headers["Last-Event-ID"] = last_id
        try:
            res = request(gateway, token, "GET", path, headers=headers, timeout=120)
        except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
            print(f"events: {err}; reconnecting", file=sys.stderr)
            time.sleep(1)
            continue
        with res:
            if res.status == 204:  # nothing more: the job has ended and we have every event
                return
            event, data = None, []
            try:
                for raw in res:
                    line = raw.decode("utf-8").rstrip("\r\n")
                    if line == "":
                        if event is not None or data:
                            yield event or "message", json.loads("\n".join(data)) if data else None
                        event, data = None, []
                    elif line.startswith(":"):
                        continue  # heartbeat comment
                    else:
                        field, _, value = line.partition(":")
                        value = value[1:] if value.startswith(" ") else value
                        if field == "event":
                            event = value
                        elif field == "data":
                            data.append(value)
                        elif field == "id":
                            last_id = value
            except (ConnectionError, TimeoutError) as err:
                print(f"events: {err}; resuming after event {last_id}", file=sys.stderr)
                continue
        return


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="input file, e.g. a .eml message")
    parser.add_argument("--gateway", default=os.environ.get("CRANK_GATEWAY", "http://127.0.0.1:4600"))
    parser.add_argument("--token", default=os.environ.get("CRANK_GATEWAY_TOKEN"), help="bearer token (or $CRANK_GATEWAY_TOKEN)")
    parser.add_argument("--capability", default="email.classify")
    parser.add_argument("--params", default="{}", help="params as JSON")
    parser.add_argument("--raw", action="store_true", help="send the file as the raw request body")
    args = parser.parse_args()

    try:
        job = submit(args)
        print(f"job {job['id']} {job['state']}", file=sys.stderr)
        for event, data in events(args.gateway, args.token, job["links"]["events"]):
            if event in TERMINAL:
                if event == "succeeded":
                    print(json.dumps(data.get("result"), indent=2))
                    return 0
                error = data.get("error") or {}
                print(f"job {event}: {error.get('code')}: {error.get('message')}", file=sys.stderr)
                return 1
            print(f"{event}: {json.dumps(data)}", file=sys.stderr)
        # The stream ended without a terminal event we saw (it had ended before we connected): ask.
        with request(args.gateway, args.token, "GET", job["links"]["self"]) as res:
            final = json.load(res)
        if final.get("state") == "succeeded":
            print(json.dumps(final.get("result"), indent=2))
            return 0
        print(f"job {final.get('state')}: {final.get('error')}", file=sys.stderr)
        return 1
    except Refused as err:
        print(f"refused: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""Creates a blob container on Azurite with a SharedKey-signed request (standard library only).

usage: azurite_container.py BLOB_URL CONTAINER

BLOB_URL is the account URL, e.g. http://127.0.0.1:10000/devstoreaccount1. Uses Azurite's
well-known development account and key. Exits 0 when the container exists afterwards.
"""
import base64
import hashlib
import hmac
import sys
import urllib.error
import urllib.request
from email.utils import formatdate

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
VERSION = "2021-08-06"


def main(blob_url, container):
    date = formatdate(usegmt=True)
    headers = {"x-ms-date": date, "x-ms-version": VERSION}
    canonical_headers = "".join(f"{k}:{v}\n" for k, v in sorted(headers.items()))
    resource = f"/{ACCOUNT}/{ACCOUNT}/{container}\nrestype:container"
    # PUT, then 11 empty standard headers (no body), then the canonical headers and resource.
    to_sign = "PUT\n" + "\n" * 11 + canonical_headers + resource
    signature = base64.b64encode(hmac.new(base64.b64decode(KEY), to_sign.encode(), hashlib.sha256).digest()).decode()
    headers["Authorization"] = f"SharedKey {ACCOUNT}:{signature}"
    request = urllib.request.Request(f"{blob_url}/{container}?restype=container", method="PUT", headers=headers)
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as e:
        if e.code != 409:  # 409: the container already exists
            print(e.read().decode(), file=sys.stderr)
            raise
    print(f"container {container} ready", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:])

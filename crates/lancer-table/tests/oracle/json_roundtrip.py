"""Feeds fragment JSON written by lancer through pylance's FragmentMetadata.

usage: json_roundtrip.py IN.json OUT.json

IN holds a JSON list of strings, each a fragment as lancer's to_json prints it. For each,
pylance's FragmentMetadata.from_json parses it and json.dumps(to_json()) prints it again;
OUT receives the list of those strings, for lancer to compare byte for byte.
"""
import json
import sys

from lance import FragmentMetadata


def main(source, target):
    texts = json.load(open(source))
    again = [json.dumps(FragmentMetadata.from_json(text).to_json()) for text in texts]
    json.dump(again, open(target, "w"))
    print(f"{len(again)} fragments")


if __name__ == "__main__":
    main(*sys.argv[1:])

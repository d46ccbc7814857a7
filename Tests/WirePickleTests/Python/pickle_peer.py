"""CPython's side of WirePickle's interop tests. Reads a JSON request on stdin, writes JSON on stdout.

  dump       {"expressions": [...]}  ->  [{"repr": ..., "pickles": [hex for protocols 0..5]}]
  check      {"items": [{"expression", "protocol", "hex"}]}  ->  [failure messages]
  malicious  {}  ->  {name: [hex for protocols 0..5]}
  floats     {"bits": [hex of 8 big-endian bytes]}  ->  [repr]
  reprs      {"hex": [pickles]}  ->  [repr of pickle.loads(pickle)]

Expressions are Python literals or simple expressions, evaluated with eval(); each expression is
compiled on its own, so equal constants inside one expression are one object, as in a module.
"""

import json
import os
import pickle
import struct
import sys


def same(a, b):
    """Equal and of the same types all the way down, floats by bit pattern, dicts in order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return len(a) == len(b) and all(
            same(ka, kb) and same(va, vb) for (ka, va), (kb, vb) in zip(a.items(), b.items())
        )
    if isinstance(a, (set, frozenset)):
        typed = lambda s: sorted((type(x).__name__, repr(x)) for x in s)
        return a == b and typed(a) == typed(b)
    return a == b


class Evil:
    """What an attacker pickles: loading it would run a shell command."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


def dump(request):
    results = []
    for expression in request["expressions"]:
        value = eval(compile(expression, "<case>", "eval"))
        pickles = [pickle.dumps(value, protocol=p).hex() for p in range(6)]
        results.append({"repr": repr(value), "pickles": pickles})
    return results


def check(request):
    failures = []
    for item in request["items"]:
        expected = eval(compile(item["expression"], "<case>", "eval"))
        try:
            loaded = pickle.loads(bytes.fromhex(item["hex"]))
        except Exception as error:  # report, do not crash: the Swift test prints it
            failures.append(f"{item['expression']} (protocol {item['protocol']}): pickle.loads raised {error!r}")
            continue
        if not same(loaded, expected):
            failures.append(f"{item['expression']} (protocol {item['protocol']}): loaded {loaded!r}")
    return failures


def malicious(request):
    import collections
    import datetime

    recursive = []
    recursive.append(recursive)
    cases = {
        "os_system": Evil(),
        "ordered_dict": collections.OrderedDict([(1, 2)]),
        "date": datetime.date(2020, 1, 1),
        "instance": Point(1, 2),
        "recursive_list": recursive,
    }
    return {name: [pickle.dumps(value, protocol=p).hex() for p in range(6)] for name, value in cases.items()}


def floats(request):
    return [repr(struct.unpack(">d", bytes.fromhex(bits))[0]) for bits in request["bits"]]


def reprs(request):
    return [repr(pickle.loads(bytes.fromhex(data))) for data in request["hex"]]


if __name__ == "__main__":
    mode = sys.argv[1]
    request = json.load(sys.stdin)
    handler = {"dump": dump, "check": check, "malicious": malicious, "floats": floats, "reprs": reprs}[mode]
    json.dump(handler(request), sys.stdout)

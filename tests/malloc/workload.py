# SPDX-License-Identifier: MIT OR Apache-2.0
# A Python workload for the drop-in malloc test: containers, strings, JSON,
# regular expressions, sorting and objects, printing digests of the results
# so that runs under two allocators can be compared line by line.
import hashlib
import json
import re
from collections import Counter, defaultdict


class Node:
    def __init__(self, key, children=()):
        self.key = key
        self.children = list(children)


def build_tree(depth, width, key=0):
    if depth == 0:
        return Node(key)
    return Node(key, [build_tree(depth - 1, width, key * width + i) for i in range(width)])


def tree_sum(node):
    return node.key + sum(tree_sum(child) for child in node.children)


def digest(text):
    return hashlib.sha256(text.encode()).hexdigest()[:16]


records = [{"id": i, "name": f"item-{i:06d}", "tags": [f"t{i % 7}", f"g{i % 13}"],
            "weight": (i * 7919) % 1000 / 10.0} for i in range(60000)]
encoded = json.dumps(records, sort_keys=True)
decoded = json.loads(encoded)
print("json", len(encoded), digest(encoded), decoded[12345]["name"])

words = re.findall(r"[a-z]+-\d{3}", encoded)
counts = Counter(word[-1] for word in words)
print("regex", len(words), sorted(counts.items())[:5])

groups = defaultdict(list)
for record in decoded:
    groups[record["tags"][1]].append(record["weight"])
print("groups", sorted((tag, round(sum(v), 1)) for tag, v in groups.items())[:4])

strings = sorted((f"{(i * 2654435761) % 1000003:07d}" * (1 + i % 5)) for i in range(100000))
print("sort", len(strings), digest("".join(strings[::997])))

tree = build_tree(8, 4)
print("tree", tree_sum(tree))

table = {}
for round_ in range(5):
    for i in range(50000):
        table[(round_, i)] = [i] * (i % 8)
    for i in range(0, 50000, 2):
        del table[(round_, i)]
print("dict", len(table), sum(len(v) for v in table.values()))

blob = bytearray()
for i in range(20000):
    blob += bytes([i % 256]) * (i % 50)
print("bytes", len(blob), digest(blob.hex()[:100000]))

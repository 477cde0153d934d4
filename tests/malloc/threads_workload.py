# SPDX-License-Identifier: MIT OR Apache-2.0
# A threaded python3 workload for run_with_preload.sh: threads build and hand
# objects to each other through queues (frees on threads other than the
# allocating one), and a thread pool maps over strings. Prints the same
# lines in every run.
import hashlib
import queue
import threading
from concurrent.futures import ThreadPoolExecutor


def producer(out, seed):
    for i in range(20000):
        out.put({"key": f"{seed}-{i}", "payload": [i] * (i % 50), "text": "x" * (i % 300)})
    out.put(None)


def consumer(inp, results, index):
    total = 0
    while True:
        item = inp.get()
        if item is None:
            break
        total += len(item["payload"]) + len(item["text"]) + len(item["key"])
    results[index] = total


results = [0, 0]
queues = [queue.Queue(maxsize=256), queue.Queue(maxsize=256)]
threads = [threading.Thread(target=producer, args=(queues[i], i)) for i in range(2)]
threads += [threading.Thread(target=consumer, args=(queues[i], results, i)) for i in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("queues", results)


def digest(n):
    text = "".join(str(i) for i in range(n))
    return hashlib.sha256(text.encode()).hexdigest()


with ThreadPoolExecutor(max_workers=4) as pool:
    for line in pool.map(digest, range(100, 3000, 97)):
        print(line)

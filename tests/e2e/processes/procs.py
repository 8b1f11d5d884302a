# Python processes and threads for tests/e2e (processes): threading,
# multiprocessing (fork, queues, pools), subprocess, signal handlers,
# select and selectors. Prints only what is the same on every run.
import multiprocessing
import os
import selectors
import select
import signal
import subprocess
import sys
import threading


def square(x):
    return x * x


def producer(q, n):
    for i in range(n):
        q.put(i)
    q.put(None)


def main():
    results = []
    lock = threading.Lock()

    def work(i):
        with lock:
            results.append(i * i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("threads", sorted(results))

    q = multiprocessing.Queue()
    p = multiprocessing.Process(target=producer, args=(q, 100))
    p.start()
    total = 0
    while (item := q.get()) is not None:
        total += item
    p.join()
    print("queue total", total, "exitcode", p.exitcode)

    with multiprocessing.Pool(2) as pool:
        print("pool", pool.map(square, range(10)))

    out = subprocess.run(["/bin/sh", "-c", "echo from sh; exit 4"], capture_output=True, text=True)
    print("subprocess", out.stdout.strip(), out.returncode)

    got = []
    signal.signal(signal.SIGUSR1, lambda sig, frame: got.append(sig))
    os.kill(os.getpid(), signal.SIGUSR1)
    print("handler ran", got == [signal.SIGUSR1])

    r, w = os.pipe()
    os.write(w, b"ping")
    ready, _, _ = select.select([r], [], [], 5)
    print("select", ready == [r], os.read(r, 4))
    sel = selectors.DefaultSelector()
    sel.register(r, selectors.EVENT_READ)
    os.write(w, b"pong")
    events = sel.select(timeout=5)
    print("selectors", len(events), os.read(r, 4))
    sel.close()

    child = os.fork()
    if child == 0:
        os._exit(9)
    _, status = os.waitpid(child, 0)
    print("fork exit", os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
    sys.stdout.flush()

"""The one timer of the Python benchmark peers: the median of 25 timed
batches, each long enough (20 ms at least) for the clock — or, with
BNLAB_BENCH_QUICK=1 in the environment (`bench:compare --quick`), of 5
batches of 2 ms: a check that the peer runs, not a measurement."""
import os
import timeit

QUICK = os.environ.get('BNLAB_BENCH_QUICK') == '1'


def median_ns(fn, reps=25):
    """Median nanoseconds per call of `fn`."""
    reps, least = (5, 0.002) if QUICK else (reps, 0.02)
    number = 1
    while timeit.timeit(fn, number=number) < least:
        number *= 2
    times = timeit.repeat(fn, number=number, repeat=reps)
    return sorted(times)[len(times) // 2] / number * 1e9

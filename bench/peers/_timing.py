"""The one timer of the Python benchmark peers: the median of 25 timed
batches, each long enough (20 ms at least) for the clock."""
import timeit


def median_ns(fn, reps=25):
    """Median nanoseconds per call of `fn`."""
    number = 1
    while timeit.timeit(fn, number=number) < 0.02:
        number *= 2
    times = timeit.repeat(fn, number=number, repeat=reps)
    return sorted(times)[len(times) // 2] / number * 1e9

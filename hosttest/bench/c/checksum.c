/*
 * Reference RFC 1071 Internet checksum in plain C, timed over one buffer.
 *
 * The `wire` benchmark (hosttest/bench/wire.ts) compiles this with `gcc -O2`, writes the buffer
 * it times the TypeScript checksum over to a file, and runs
 *
 *     checksum FILE [ROUNDS] [MIN_NS_PER_ROUND]
 *
 * which prints one line (`checksum FILE prefixes` instead prints the sum of every prefix of the
 * file, lengths 0 to L, one hex value a line, so odd lengths are cross-checked too):
 *
 *     sum=0xHHHH ns=N.NNN iterations=I rounds=R length=L
 *
 * `sum` is the folded 16-bit ones'-complement sum, not complemented (the contract of
 * onesSum in src/wire/checksum.ts), so the two can be compared; `ns` is the best round's
 * nanoseconds per checksum.
 *
 * The sum is the classic loop: big-endian 16-bit words added into a 32-bit accumulator,
 * an odd last byte padded with zero, then the carries folded back in (RFC 1071 section 4.1,
 * written byte-wise so it does not depend on the host's byte order or alignment).
 */
#define _POSIX_C_SOURCE 199309L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint16_t ones_sum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    while (len > 1) {
        sum += ((uint32_t)p[0] << 8) | p[1];
        p += 2;
        len -= 2;
    }
    if (len > 0)
        sum += (uint32_t)p[0] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* Calls go through a volatile pointer so the compiler can neither inline the sum nor hoist it
 * out of the timing loop as loop-invariant. */
static uint16_t (*volatile sum_fn)(const uint8_t *, size_t) = ones_sum;
static volatile uint32_t sink;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double time_round(const uint8_t *buf, size_t len, long iterations)
{
    uint32_t acc = 0;
    double t0 = now_ns();
    for (long i = 0; i < iterations; i++)
        acc += sum_fn(buf, len);
    double t1 = now_ns();
    sink = acc;
    return t1 - t0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [ROUNDS] [MIN_NS_PER_ROUND]\n", argv[0]);
        return 2;
    }
    int prefixes = argc > 2 && strcmp(argv[2], "prefixes") == 0;
    int rounds = argc > 2 && !prefixes ? atoi(argv[2]) : 7;
    double min_round_ns = argc > 3 ? atof(argv[3]) : 50e6;
    if (rounds < 1)
        rounds = 1;

    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    static uint8_t buf[65536];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);

    if (prefixes) {
        for (size_t n = 0; n <= len; n++)
            printf("%04x\n", (unsigned)ones_sum(buf, n));
        return 0;
    }

    /* Calibrate: double the iteration count until one round takes long enough to time. */
    long iterations = 1000;
    while (time_round(buf, len, iterations) < min_round_ns && iterations < (1L << 30))
        iterations *= 2;

    double best = -1;
    for (int r = 0; r < rounds; r++) {
        double t = time_round(buf, len, iterations) / (double)iterations;
        if (best < 0 || t < best)
            best = t;
    }

    printf("sum=0x%04x ns=%.3f iterations=%ld rounds=%d length=%zu\n",
           (unsigned)ones_sum(buf, len), best, iterations, rounds, len);
    return 0;
}

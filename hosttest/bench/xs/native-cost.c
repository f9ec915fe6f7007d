/*
 * What the accelerator stand-ins of the XS benchmark leave out: the firmware's native checksum
 * (RFC 1071 over one 1460-byte payload) and HalfSipHash-2-4 (over a 12-byte 4-tuple), called
 * `iterations` times so callgrind can give each function's own instructions per call
 * (hosttest/bench/xs.ts compiles this with the firmware's C files, gcc -O2, 32-bit when it can).
 */
#include <stdio.h>
#include <stdlib.h>
#include "../../../firmware/native/checksum.h"
#include "../../../firmware/native/halfsiphash.h"

int main(int argc, char **argv)
{
	long iterations = argc > 1 ? atol(argv[1]) : 1000;
	static uint8_t payload[1460];
	static const uint8_t key[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t tuple[12] = { 10, 9, 0, 1, 198, 51, 100, 7, 0, 80, 156, 64 };
	uint32_t sink = 0;
	for (int i = 0; i < 1460; i++) payload[i] = (uint8_t)(i * 31 + 7);
	for (long i = 0; i < iterations; i++) {
		payload[i % 1460] ^= (uint8_t)i; /* keep each call's input fresh */
		tuple[11] = (uint8_t)i;
		sink += synstack_checksum(payload, sizeof payload, 0);
		sink += synstack_halfsiphash24(key, tuple, sizeof tuple);
	}
	printf("sink=%u\n", sink);
	return 0;
}

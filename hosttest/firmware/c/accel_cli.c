/*
 * The native accelerators (firmware/native/checksum.c, halfsiphash.c) as a line-oriented filter,
 * so hosttest/firmware/native.test.ts can compare them with the TypeScript versions on random
 * inputs. One request per line on stdin, one answer per line on stdout:
 *
 *   c <initial, hex> <bytes, hex or ->      ->  <checksum, 4 hex digits>
 *   m <key, 16 hex digits> <bytes, hex or -> ->  <HalfSipHash-2-4, 8 hex digits>
 *
 * Exit status 2 on a malformed line.
 */

#include "checksum.h"
#include "halfsiphash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Decode hex (or "-" for nothing) into out; returns the byte count or -1. */
static long unhex(const char *text, unsigned char *out, size_t capacity)
{
	if (strcmp(text, "-") == 0) return 0;
	size_t n = strlen(text);
	if (n % 2 || n / 2 > capacity) return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(text[2 * i]), lo = hexval(text[2 * i + 1]);
		if (hi < 0 || lo < 0) return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

int main(void)
{
	static char line[2 * 70000 + 64];
	static unsigned char data[70000];
	unsigned long lineno = 0;
	while (fgets(line, sizeof line, stdin)) {
		lineno++;
		char *op = strtok(line, " \r\n");
		char *arg = strtok(NULL, " \r\n");
		char *bytes = strtok(NULL, " \r\n");
		if (!op || !arg || !bytes) {
			fprintf(stderr, "line %lu: expected <op> <arg> <bytes>\n", lineno);
			return 2;
		}
		long n = unhex(bytes, data, sizeof data);
		if (n < 0) {
			fprintf(stderr, "line %lu: bad bytes\n", lineno);
			return 2;
		}
		if (strcmp(op, "c") == 0) {
			unsigned long initial = strtoul(arg, NULL, 16);
			printf("%04x\n", synstack_checksum(data, (size_t)n, (uint32_t)initial));
		}
		else if (strcmp(op, "m") == 0) {
			unsigned char key[8];
			if (unhex(arg, key, sizeof key) != 8) {
				fprintf(stderr, "line %lu: key must be 8 bytes\n", lineno);
				return 2;
			}
			printf("%08x\n", synstack_halfsiphash24(key, data, (size_t)n));
		}
		else {
			fprintf(stderr, "line %lu: unknown op %s\n", lineno, op);
			return 2;
		}
	}
	return 0;
}

/* RFC 1071 §4.1 (see checksum.h for the contract). */

#include "checksum.h"

static uint32_t fold32(uint32_t sum)
{
	sum = (sum & 0xFFFFu) + (sum >> 16);
	sum = (sum & 0xFFFFu) + (sum >> 16);
	return sum;
}

uint16_t synstack_checksum(const uint8_t *p, size_t length, uint32_t initial)
{
	uint32_t sum = fold32(initial);
	/* At most 0x8000 words of at most 0xFFFF are added between two folds, so the 32-bit
	   accumulator never carries out: 0x8000 * 0xFFFF + 0x1FFFF < 2^32. */
	while (length >= 2) {
		size_t words = length / 2;
		if (words > 0x8000u)
			words = 0x8000u;
		length -= words * 2;
		while (words >= 4) {
			sum += ((uint32_t)p[0] << 8 | p[1]) + ((uint32_t)p[2] << 8 | p[3])
				+ ((uint32_t)p[4] << 8 | p[5]) + ((uint32_t)p[6] << 8 | p[7]);
			p += 8;
			words -= 4;
		}
		while (words--) {
			sum += (uint32_t)p[0] << 8 | p[1];
			p += 2;
		}
		sum = fold32(sum);
	}
	if (length)
		sum += (uint32_t)p[0] << 8; /* odd length: pad with a zero byte (RFC 1071 §4.1) */
	return (uint16_t)fold32(sum);
}

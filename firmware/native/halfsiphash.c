/* HalfSipHash-2-4, 32-bit output (see halfsiphash.h). */

#include "halfsiphash.h"

#define ROTL(x, b) (uint32_t)(((x) << (b)) | ((x) >> (32 - (b))))

typedef struct {
	uint32_t v0, v1, v2, v3;
} state_t;

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* SipRound on 32-bit words: rotations 5, 16, 8, 7, 13, 16. */
static void rounds(state_t *s, int n)
{
	uint32_t a = s->v0, b = s->v1, c = s->v2, d = s->v3;
	while (n--) {
		a += b; b = ROTL(b, 5) ^ a; a = ROTL(a, 16);
		c += d; d = ROTL(d, 8) ^ c;
		a += d; d = ROTL(d, 7) ^ a;
		c += b; b = ROTL(b, 13) ^ c; c = ROTL(c, 16);
	}
	s->v0 = a; s->v1 = b; s->v2 = c; s->v3 = d;
}

static void absorb(state_t *s, uint32_t m)
{
	s->v3 ^= m;
	rounds(s, 2);
	s->v0 ^= m;
}

uint32_t synstack_halfsiphash24(const uint8_t key[8], const uint8_t *data, size_t length)
{
	const uint32_t k0 = le32(key), k1 = le32(key + 4);
	/* "lyge" and "tedb": the 32-bit halves of SipHash's initial constants. */
	state_t s = { k0, k1, k0 ^ 0x6c796765u, k1 ^ 0x74656462u };
	const uint8_t *p = data;
	const uint8_t *end = data + (length & ~(size_t)3);
	for (; p < end; p += 4)
		absorb(&s, le32(p));
	uint32_t last = (uint32_t)length << 24;
	switch (length & 3) {
	case 3: last |= (uint32_t)p[2] << 16; /* fall through */
	case 2: last |= (uint32_t)p[1] << 8;  /* fall through */
	case 1: last |= p[0]; break;
	default: break;
	}
	absorb(&s, last);
	s.v2 ^= 0xff;
	rounds(&s, 4);
	return s.v1 ^ s.v3;
}

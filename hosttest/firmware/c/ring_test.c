/*
 * Host tests of firmware/native/ring.c (run by hosttest/firmware/native.test.ts).
 *
 *   ring_test unit
 *       single-threaded edge cases: wrap marks, exact fits, full ring, bad sizes, short reader
 *       buffers, the notify/finish protocol step by step. Prints "ok <checks>" or the failure.
 *
 *   ring_test stress <producers> <frames each> <ring bytes> <drop|paced|retry> <fail-every> <seed>
 *       <producers> pthreads push frames of pseudo-random length (14..1514) and content derived
 *       from (producer, sequence); a consumer thread plays the XS task: it waits on a message
 *       queue that stands in for modMessagePostToMachine, and for each message pops the frames
 *       ring_waiting() reported when it started, calls ring_finish, and posts itself the next
 *       message when ring_finish says so, exactly as firmware/native/xs_link.c does. With `drop` a full ring
 *       drops the frame (the driver's behaviour); `paced` is `drop` with a yield after every
 *       frame (a wire that is not infinitely fast, so the consumer keeps up some of the time);
 *       with `retry` the producer yields and tries again, so every frame must arrive (after 16
 *       yields in a row it sleeps 50 us instead: a pure spin can starve the consumer where threads
 *       are serialised, as under valgrind). <fail-every> N > 0 makes every Nth post fail (as a
 *       debug build's queue wait can), so the producer calls ring_post_failed and the consumer's
 *       periodic poll (the firmware's timer) must pick the frames up; 0 never fails.
 *       Checked: every frame popped is intact and in per-producer order, no frame twice, every
 *       frame pushed is either popped or counted as dropped by the producer that pushed it, the
 *       ring's own counters agree, and the queue never holds two messages from the ring.
 *       Prints one JSON line; exit status 0 only if every check held.
 */

#include "ring.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FRAME 1514u
#define MIN_FRAME 14u
#define MAX_PRODUCERS 16

static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...) do { \
	checks++; \
	if (!(cond)) { \
		failures++; \
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fprintf(stderr, "\n"); \
	} \
} while (0)

/* ---- frame contents ---------------------------------------------------------------------- */

static uint32_t mix(uint32_t x)
{
	x ^= x >> 16; x *= 0x7feb352du;
	x ^= x >> 15; x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

static uint32_t frame_length(uint32_t seed, uint32_t producer, uint32_t seq)
{
	uint32_t r = mix(seed ^ mix(producer * 0x9e3779b9u + seq));
	/* Mostly small frames (SYNs, ACKs), some full ones: the mix a flood and a download make. */
	if ((r & 3u) == 0)
		return MAX_FRAME - (r >> 8) % 64u;
	return MIN_FRAME + (r >> 8) % 200u;
}

static void fill_frame(uint8_t *f, uint32_t length, uint32_t seed, uint32_t producer, uint32_t seq)
{
	f[0] = (uint8_t)producer;
	f[1] = (uint8_t)(seq >> 24); f[2] = (uint8_t)(seq >> 16); f[3] = (uint8_t)(seq >> 8); f[4] = (uint8_t)seq;
	uint32_t x = mix(seed + producer * 131u + seq * 7919u);
	for (uint32_t i = 5; i < length; i++) {
		x = x * 1664525u + 1013904223u;
		f[i] = (uint8_t)(x >> 24);
	}
}

static int frame_ok(const uint8_t *f, uint32_t length, uint32_t seed, uint32_t *producer, uint32_t *seq)
{
	static _Thread_local uint8_t expect[MAX_FRAME];
	if (length < MIN_FRAME || length > MAX_FRAME)
		return 0;
	*producer = f[0];
	*seq = (uint32_t)f[1] << 24 | (uint32_t)f[2] << 16 | (uint32_t)f[3] << 8 | f[4];
	if (*producer >= MAX_PRODUCERS || frame_length(seed, *producer, *seq) != length)
		return 0;
	fill_frame(expect, length, seed, *producer, *seq);
	return memcmp(expect, f, length) == 0;
}

/* ---- unit ---------------------------------------------------------------------------------- */

static void unit(void)
{
	static _Alignas(4) uint8_t storage[256];
	uint8_t frame[256], out[256];
	ring_t r;

	CHECK(ring_init(&r, storage, 100, 40) == -1, "size not a power of two");
	CHECK(ring_init(&r, storage + 1, 256, 40) == -1, "unaligned storage");
	CHECK(ring_init(&r, storage, 256, 200) == -1, "two records must fit");
	CHECK(ring_init(&r, storage, 256, 0) == -1, "max_frame 0");
	CHECK(ring_init(&r, storage, 256, 100) == 0, "valid ring");

	for (int i = 0; i < 256; i++) frame[i] = (uint8_t)(i * 7 + 3);

	/* Empty ring: pop gives 0, finish says done. */
	CHECK(ring_pop(&r, out, sizeof out) == 0, "empty pop");
	CHECK(ring_push(&r, frame, 0) == RING_BAD_SIZE, "zero length");
	CHECK(ring_push(&r, frame, 101) == RING_BAD_SIZE, "over max_frame");

	/* First push posts, the second does not; the message drains both in order. */
	CHECK(ring_push(&r, frame, 10) == RING_POST, "first push posts");
	CHECK(ring_push(&r, frame + 1, 11) == RING_QUEUED, "second push coalesces");
	CHECK(ring_waiting(&r) == 2, "two waiting");
	CHECK(ring_pop(&r, out, sizeof out) == 10 && memcmp(out, frame, 10) == 0, "first frame");
	CHECK(ring_pop(&r, out, sizeof out) == 11 && memcmp(out, frame + 1, 11) == 0, "second frame");
	CHECK(ring_pop(&r, out, sizeof out) == 0, "drained");
	CHECK(ring_finish(&r) == 0, "finish on empty: done");
	CHECK(ring_push(&r, frame, 5) == RING_POST, "after finish the next push posts again");

	/* A push between the last pop and finish: finish says keep draining, and no new post. */
	CHECK(ring_pop(&r, out, sizeof out) == 5, "pop");
	CHECK(ring_push(&r, frame, 6) == RING_QUEUED, "push while the message is still being handled");
	CHECK(ring_finish(&r) == 1, "finish sees the late frame and keeps the notification (the consumer reposts)");
	CHECK(ring_waiting(&r) == 1, "one waiting");
	CHECK(ring_push(&r, frame, 7) == RING_QUEUED, "still coalesced");
	CHECK(ring_pop(&r, out, sizeof out) == 6, "late frame");
	CHECK(ring_pop(&r, out, sizeof out) == 7, "later frame");
	CHECK(ring_finish(&r) == 0, "now done");

	/* Post failure: the flag is cleared, so the next push posts. */
	CHECK(ring_push(&r, frame, 8) == RING_POST, "post");
	ring_post_failed(&r);
	CHECK(ring_push(&r, frame, 9) == RING_POST, "after a failed post the next push posts");
	CHECK(ring_pop(&r, out, sizeof out) == 8, "frame of the failed post is still there");
	CHECK(ring_pop(&r, out, sizeof out) == 9, "and the next");
	CHECK(ring_finish(&r) == 0, "done");

	ring_counters_t c;
	ring_counters(&r, &c);
	CHECK(c.frames_in == 7 && c.frames_out == 7 && c.oversize == 2 && c.post_failures == 1 && c.posts == 4,
		"in %u out %u oversize %u post failures %u posts %u", c.frames_in, c.frames_out, c.oversize, c.post_failures, c.posts);
	ring_deinit(&r);

	/* Fill to the brim from offset 0: records of 4 + 60 = 64 bytes, four fit in 256, the fifth overflows. */
	CHECK(ring_init(&r, storage, 256, 100) == 0, "fresh ring");
	int stored = 0;
	while (ring_push(&r, frame, 60) >= 0) stored++;
	ring_counters(&r, &c);
	CHECK(stored == 4 && c.overflows == 1 && c.used == 256, "stored %d overflows %u used %u", stored, c.overflows, c.used);
	/* A short reader buffer drops the frame (counted) and moves on. */
	CHECK(ring_pop(&r, out, 59) == -1, "frame longer than the reader's buffer");
	for (int i = 1; i < 4; i++) CHECK(ring_pop(&r, out, sizeof out) == 60, "remaining frames");
	CHECK(ring_pop(&r, out, sizeof out) == 0, "empty");
	CHECK(ring_finish(&r) == 0, "done");
	ring_counters(&r, &c);
	CHECK(c.truncated == 1 && c.high_water == 256, "truncated %u high water %u", c.truncated, c.high_water);

	/* Wrap: head is now at 256 (offset 0). Push 40+4=44 (at 0), 100+4=104 (at 44): 148 used.
	   Pop the first: 44 free at the start, 108 at the end. A 100-byte frame (104) goes at 148.
	   Pop the second: tail 148. Next 100-byte frame: offset 252, only 4 contiguous -> wrap mark
	   at 252, record at 0. */
	CHECK(ring_push(&r, frame, 40) == RING_POST, "a");
	CHECK(ring_push(&r, frame + 2, 100) == RING_QUEUED, "b");
	CHECK(ring_pop(&r, out, sizeof out) == 40, "pop a");
	CHECK(ring_push(&r, frame + 3, 100) == RING_QUEUED, "c at 148");
	CHECK(ring_pop(&r, out, sizeof out) == 100 && memcmp(out, frame + 2, 100) == 0, "pop b");
	CHECK(ring_push(&r, frame + 4, 100) == RING_QUEUED, "d wraps to 0");
	ring_counters(&r, &c);
	CHECK(c.used == 104 + 4 + 104, "used after wrap %u", c.used);
	CHECK(ring_pop(&r, out, sizeof out) == 100 && memcmp(out, frame + 3, 100) == 0, "pop c");
	CHECK(ring_pop(&r, out, sizeof out) == 100 && memcmp(out, frame + 4, 100) == 0, "pop d across the wrap mark");
	CHECK(ring_pop(&r, out, sizeof out) == 0, "empty after wrap");
	CHECK(ring_finish(&r) == 0, "done");
	/* A record that needs the wrap but whose pad + record exceeds the free space is refused. */
	ring_counters(&r, &c);
	CHECK(c.used == 0, "empty ring uses nothing");

	/* Odd lengths are padded to 4 in the ring but come back exact. */
	for (uint32_t n = 1; n <= 9; n++) {
		CHECK(ring_push(&r, frame + n, n) >= 0, "push %u", n);
		CHECK(ring_pop(&r, out, sizeof out) == (int)n && memcmp(out, frame + n, n) == 0, "pop %u", n);
	}
	CHECK(ring_finish(&r) == 0, "done");

	ring_counters(&r, &c);
	CHECK(c.frames_in == c.frames_out + c.truncated, "in %u out %u truncated %u", c.frames_in, c.frames_out, c.truncated);
	ring_deinit(&r);
	if (failures == 0)
		printf("ok %d\n", checks);
}

/* ---- stress -------------------------------------------------------------------------------- */

/* The XS task's message queue, as modMessagePostToMachine uses it: bounded, FIFO. */
typedef struct {
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	int pending;          /* ring messages in the queue */
	int max_pending;      /* most ring messages ever queued at once (must stay 1) */
	uint64_t posted, delivered, failed;
	int producers_left;
} queue_t;

typedef struct {
	ring_t *ring;
	queue_t *queue;
	uint32_t id, frames, seed, fail_every;
	int retry, paced;
	uint32_t dropped;      /* this producer's frames the ring refused */
	uint8_t *dropped_map;  /* which sequence numbers were refused */
	uint32_t post_attempts;
} producer_t;

typedef struct {
	ring_t *ring;
	queue_t *queue;
	uint32_t seed, producers;
	uint32_t next_seq[MAX_PRODUCERS];
	uint8_t *seen[MAX_PRODUCERS];
	uint64_t popped, corrupt, out_of_order, duplicates, messages, polls, continues;
} consumer_t;

static void enqueue(queue_t *q)
{
	pthread_mutex_lock(&q->mutex);
	q->pending++;
	if (q->pending > q->max_pending) q->max_pending = q->pending;
	q->posted++;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->mutex);
}

static void post(producer_t *p)
{
	queue_t *q = p->queue;
	p->post_attempts++;
	if (p->fail_every && p->post_attempts % p->fail_every == 0) {
		pthread_mutex_lock(&q->mutex);
		q->failed++;
		pthread_mutex_unlock(&q->mutex);
		ring_post_failed(p->ring);
		return;
	}
	enqueue(q);
}

static void *producer_main(void *arg)
{
	producer_t *p = arg;
	uint8_t frame[MAX_FRAME];
	const struct timespec backoff = { .tv_sec = 0, .tv_nsec = 50000 };
	for (uint32_t seq = 0; seq < p->frames; seq++) {
		uint32_t spins = 0;
		uint32_t length = frame_length(p->seed, p->id, seq);
		fill_frame(frame, length, p->seed, p->id, seq);
		for (;;) {
			int result = ring_push(p->ring, frame, length);
			if (result == RING_POST) post(p);
			if (result >= 0) break;
			if (result == RING_FULL && p->retry) {
				if (++spins < 16) sched_yield();
				else nanosleep(&backoff, NULL);
				continue;
			}
			p->dropped++;
			p->dropped_map[seq] = 1;
			break;
		}
		if (p->paced) sched_yield();
	}
	pthread_mutex_lock(&p->queue->mutex);
	p->queue->producers_left--;
	pthread_cond_signal(&p->queue->cond);
	pthread_mutex_unlock(&p->queue->mutex);
	return NULL;
}

static void take(consumer_t *c, const uint8_t *f, int length)
{
	uint32_t producer, seq;
	c->popped++;
	if (length <= 0 || !frame_ok(f, (uint32_t)length, c->seed, &producer, &seq) || producer >= c->producers) {
		c->corrupt++;
		return;
	}
	if (c->seen[producer][seq]) c->duplicates++;
	c->seen[producer][seq] = 1;
	if (seq < c->next_seq[producer]) c->out_of_order++;
	c->next_seq[producer] = seq + 1;
}

/* Pop up to `budget` frames (UINT32_MAX: until empty). */
static void drain(consumer_t *c, uint32_t budget)
{
	static uint8_t buffer[MAX_FRAME];
	int n;
	while (budget-- > 0 && (n = ring_pop(c->ring, buffer, sizeof buffer)) != 0)
		take(c, buffer, n);
}

static void *consumer_main(void *arg)
{
	consumer_t *c = arg;
	queue_t *q = c->queue;
	pthread_mutex_lock(&q->mutex);
	for (;;) {
		if (q->pending == 0) {
			if (q->producers_left == 0) {
				pthread_mutex_unlock(&q->mutex);
				/* Final sweep, as the firmware's timer would: frames whose post failed. */
				drain(c, UINT32_MAX);
				return NULL;
			}
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 1000000; /* 1 ms: the firmware's timer drains the ring too */
			if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
			int waited = pthread_cond_timedwait(&q->cond, &q->mutex, &until);
			if (waited == ETIMEDOUT && q->pending == 0) {
				pthread_mutex_unlock(&q->mutex);
				c->polls++;
				drain(c, UINT32_MAX); /* a timer-driven drain: pops, never calls ring_finish */
				pthread_mutex_lock(&q->mutex);
			}
			continue;
		}
		q->pending--;
		q->delivered++;
		pthread_mutex_unlock(&q->mutex);
		/* The message callback (xs_link.c): the frames waiting now, then finish; if frames are
		   left, the next message is ours to post. */
		c->messages++;
		drain(c, ring_waiting(c->ring));
		if (ring_finish(c->ring)) {
			c->continues++;
			enqueue(q);
		}
		pthread_mutex_lock(&q->mutex);
	}
}

static int stress(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "usage: ring_test stress <producers> <frames> <ring bytes> <drop|retry> <fail-every> <seed>\n");
		return 2;
	}
	uint32_t producers = (uint32_t)atoi(argv[2]);
	uint32_t frames = (uint32_t)atoi(argv[3]);
	uint32_t size = (uint32_t)atoi(argv[4]);
	int retry = strcmp(argv[5], "retry") == 0;
	int paced = strcmp(argv[5], "paced") == 0;
	if (!retry && !paced && strcmp(argv[5], "drop") != 0) return 2;
	uint32_t fail_every = (uint32_t)atoi(argv[6]);
	uint32_t seed = (uint32_t)strtoul(argv[7], NULL, 10);
	if (producers < 1 || producers > MAX_PRODUCERS || frames < 1) return 2;

	uint8_t *storage = aligned_alloc(4, size);
	ring_t ring;
	if (!storage || ring_init(&ring, storage, size, MAX_FRAME) != 0) {
		fprintf(stderr, "ring_init failed for %u bytes\n", size);
		return 2;
	}
	queue_t queue = { .pending = 0, .max_pending = 0, .producers_left = (int)producers };
	pthread_mutex_init(&queue.mutex, NULL);
	pthread_cond_init(&queue.cond, NULL);

	producer_t p[MAX_PRODUCERS];
	consumer_t c;
	memset(&c, 0, sizeof c);
	c.ring = &ring; c.queue = &queue; c.seed = seed; c.producers = producers;
	for (uint32_t i = 0; i < producers; i++) {
		p[i] = (producer_t){ .ring = &ring, .queue = &queue, .id = i, .frames = frames, .seed = seed,
			.fail_every = fail_every, .retry = retry, .paced = paced, .dropped = 0, .post_attempts = 0 };
		p[i].dropped_map = calloc(frames, 1);
		c.seen[i] = calloc(frames, 1);
	}
	pthread_t consumer_thread, producer_threads[MAX_PRODUCERS];
	pthread_create(&consumer_thread, NULL, consumer_main, &c);
	for (uint32_t i = 0; i < producers; i++) pthread_create(&producer_threads[i], NULL, producer_main, &p[i]);
	for (uint32_t i = 0; i < producers; i++) pthread_join(producer_threads[i], NULL);
	pthread_join(consumer_thread, NULL);

	uint64_t pushed = (uint64_t)producers * frames, dropped = 0, missing = 0, both = 0;
	for (uint32_t i = 0; i < producers; i++) {
		dropped += p[i].dropped;
		for (uint32_t s = 0; s < frames; s++) {
			if (!c.seen[i][s] && !p[i].dropped_map[s]) missing++;
			if (c.seen[i][s] && p[i].dropped_map[s]) both++;
		}
	}
	ring_counters_t rc;
	ring_counters(&ring, &rc);

	CHECK(c.corrupt == 0, "%" PRIu64 " corrupt frames", c.corrupt);
	CHECK(c.duplicates == 0, "%" PRIu64 " duplicates", c.duplicates);
	CHECK(c.out_of_order == 0, "%" PRIu64 " out of order", c.out_of_order);
	CHECK(missing == 0, "%" PRIu64 " frames neither delivered nor counted as dropped", missing);
	CHECK(both == 0, "%" PRIu64 " frames both delivered and dropped", both);
	CHECK(c.popped + dropped == pushed, "popped %" PRIu64 " + dropped %" PRIu64 " != pushed %" PRIu64, c.popped, dropped, pushed);
	CHECK(rc.overflows == dropped || retry, "ring overflows %u, producers saw %" PRIu64, rc.overflows, dropped);
	CHECK(rc.frames_in == c.popped && rc.frames_out == c.popped, "ring in %u out %u popped %" PRIu64, rc.frames_in, rc.frames_out, c.popped);
	CHECK(rc.used == 0, "ring not empty at the end: %u bytes", rc.used);
	CHECK(queue.max_pending <= 1, "%d messages from the ring queued at once", queue.max_pending);
	CHECK(queue.posted == queue.delivered, "posted %" PRIu64 " delivered %" PRIu64, queue.posted, queue.delivered);
	CHECK(rc.posts + c.continues == queue.posted + queue.failed, "ring posts %u + consumer reposts %" PRIu64 ", queue posted %" PRIu64 " failed %" PRIu64,
		rc.posts, c.continues, queue.posted, queue.failed);
	CHECK(!retry || dropped == 0, "retry mode dropped %" PRIu64, dropped);

	printf("{\"producers\":%u,\"framesEach\":%u,\"ringBytes\":%u,\"mode\":\"%s\",\"failEvery\":%u,"
		"\"pushed\":%" PRIu64 ",\"delivered\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"overflows\":%u,"
		"\"messagesPosted\":%" PRIu64 ",\"messagesDelivered\":%" PRIu64 ",\"postFailures\":%" PRIu64 ","
		"\"maxQueued\":%d,\"finishContinues\":%" PRIu64 ",\"timerPolls\":%" PRIu64 ",\"highWater\":%u,"
		"\"checks\":%d,\"failures\":%d}\n",
		producers, frames, size, argv[5], fail_every, pushed, c.popped, dropped, rc.overflows,
		queue.posted, queue.delivered, queue.failed, queue.max_pending, c.continues, c.polls, rc.high_water,
		checks, failures);
	for (uint32_t i = 0; i < producers; i++) { free(p[i].dropped_map); free(c.seen[i]); }
	ring_deinit(&ring);
	free(storage);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "unit") == 0)
		unit();
	else if (argc >= 2 && strcmp(argv[1], "stress") == 0) {
		int status = stress(argc, argv);
		if (status) return status;
	}
	else {
		fprintf(stderr, "usage: ring_test unit | stress ...\n");
		return 2;
	}
	return failures == 0 ? 0 : 1;
}

/*
 * synstack receive ring: received Ethernet frames, copied in by a driver task, read out by the XS
 * task. Platform-independent C11 (stdatomic); the same file runs on the ESP32 and in the host
 * tests (hosttest/firmware), which hammer it from several pthreads under ThreadSanitizer.
 *
 * Layout: one byte array of `size` bytes (a power of two), records packed one after another:
 *
 *     [u32 length][length bytes][pad to 4]     a frame
 *     [u32 0xFFFFFFFF]                         "the rest up to the end is unused, go to offset 0"
 *
 * `head` and `tail` are free-running byte counters (position = counter & (size - 1)); head is
 * written only by producers (serialised by `lock`, so several driver tasks may push), tail only by
 * the consumer. A record is published by the release store of head after its bytes are written;
 * space is given back by the release store of tail after the consumer has copied the record out.
 * A frame that does not fit is dropped and counted (`overflows`): the driver never waits.
 *
 * Notification ("coalescing"): the consumer runs only when the XS task delivers a message, and at
 * most one such message is outstanding at any time. `notify` is 1 from the moment a producer
 * decides to post until the consumer has found the ring empty:
 *   - ring_push returns RING_POST only to the producer that flips notify 0 -> 1; that producer
 *     posts exactly one message. Every other push returns RING_QUEUED and posts nothing.
 *   - the consumer, handling that message, pops the frames that were waiting when it started
 *     (ring_waiting; at most a ring's worth, so the work per message is bounded) and then calls
 *     ring_finish, which clears notify and looks at head again: if frames are left or slipped in
 *     meanwhile it takes notify back and returns 1, and the consumer posts the next message to
 *     itself (rather than looping, so the XS task's timers get a turn between batches); if a
 *     producer already took notify, that producer's message will come. head/tail/notify are
 *     sequentially consistent, so "consumer saw empty" and "producer saw notify set" cannot both
 *     happen for the same frame (no lost wake-up).
 *   - if posting fails (the XS queue refused the message), the producer calls ring_post_failed,
 *     which clears notify so the next push posts again.
 * Because notify is cleared only by the consumer after it saw the ring empty, "post when notify
 * goes 0 -> 1" is "post when the ring goes from empty (as the consumer last saw it) to non-empty".
 */

#ifndef SYNSTACK_RING_H
#define SYNSTACK_RING_H

#include <stdatomic.h>
#include <stdint.h>

#if defined(ESP_PLATFORM)
	#include "freertos/FreeRTOS.h"
	#include "freertos/semphr.h"
	/* A FreeRTOS mutex (priority inheritance), statically allocated: producers are tasks, never ISRs. */
	typedef struct {
		SemaphoreHandle_t handle;
		StaticSemaphore_t storage;
	} ring_lock_t;
#else
	#include <pthread.h>
	typedef pthread_mutex_t ring_lock_t;
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The smallest ring, and the record overhead. */
#define RING_MIN_SIZE 64u
#define RING_HEADER 4u

/* ring_push results. */
#define RING_QUEUED 0        /* stored; a message is already outstanding */
#define RING_POST 1          /* stored; the caller must post exactly one message to the consumer */
#define RING_FULL (-1)       /* dropped: no room (counted in overflows) */
#define RING_BAD_SIZE (-2)   /* dropped: empty or longer than max_frame (counted in oversize) */

typedef struct {
	uint32_t frames_in;      /* frames stored */
	uint32_t frames_out;     /* frames popped */
	uint32_t overflows;      /* frames dropped because the ring was full */
	uint32_t oversize;       /* frames dropped because of their length */
	uint32_t truncated;      /* frames dropped at pop because the reader's buffer was too small */
	uint32_t posts;          /* RING_POST results (messages the producers were asked to post) */
	uint32_t post_failures;  /* messages that could not be posted */
	uint32_t high_water;     /* most bytes ever in use */
	uint32_t used;           /* bytes in use now */
	uint32_t size;           /* capacity in bytes */
} ring_counters_t;

typedef struct {
	uint8_t *buf;
	uint32_t size;
	uint32_t max_frame;
	_Atomic uint32_t head;
	_Atomic uint32_t tail;
	_Atomic uint32_t notify;
	_Atomic uint32_t frames_in, frames_out, overflows, oversize, truncated, posts, post_failures, high_water;
	ring_lock_t lock;
} ring_t;

/*
 * Prepare `r` over `storage` (`size` bytes, a power of two, 4-byte aligned, at least twice the
 * largest record). Returns 0, or -1 for a bad size or when the lock cannot be made.
 */
int ring_init(ring_t *r, uint8_t *storage, uint32_t size, uint32_t max_frame);
void ring_deinit(ring_t *r);

/* Producer (any task, any number of them): copy one frame in. Returns a RING_* code. */
int ring_push(ring_t *r, const uint8_t *frame, uint32_t length);

/* Producer: the message RING_POST asked for could not be posted. */
void ring_post_failed(ring_t *r);

/*
 * Consumer (one task): copy the oldest frame into dst. Returns its length, 0 when the ring is
 * empty, or -1 when it was longer than `capacity` (it is then dropped and counted).
 */
int ring_pop(ring_t *r, uint8_t *dst, uint32_t capacity);

/*
 * Consumer, at the end of handling a message: 1 = frames are waiting and the notification is
 * still this consumer's, so it must post itself the next message; 0 = nothing waiting, or a
 * producer has posted. Call it exactly once per message; never from a drain (e.g. a timer's)
 * that was not started by a message.
 */
int ring_finish(ring_t *r);

/* Frames stored and not yet popped (a budget for one message; may lag a push in progress). */
uint32_t ring_waiting(ring_t *r);

/* Any thread: a snapshot of the counters (each read atomically; not a consistent cut). */
void ring_counters(ring_t *r, ring_counters_t *out);

#ifdef __cplusplus
}
#endif

#endif

/*
 * synstack receive ring (see ring.h for the layout and the notification protocol).
 *
 * Memory order: head and tail are stored with release and loaded with acquire to hand the bytes
 * over, and every access that takes part in the wake-up decision (the producer's store of head
 * then load of notify, the consumer's store of notify then load of head) is seq_cst, which is
 * what makes "producer skipped the post" and "consumer saw the ring empty" exclusive. The default
 * atomic_* operations are seq_cst; the explicit ones below only relax what needs no ordering.
 *
 * RING_HELGRIND: valgrind's helgrind does not follow happens-before through C11 atomics, only
 * through pthread primitives, so the host test build for helgrind describes the two hand-overs
 * (head: producer -> consumer, tail: consumer -> producer) with its client requests and leaves the
 * atomic words themselves unchecked. ThreadSanitizer models C11 atomics and checks everything
 * without help; helgrind then checks the frame bytes and the producers' lock.
 */

#include "ring.h"

#include <string.h>

#ifdef RING_HELGRIND
	#include <valgrind/helgrind.h>
	#define HB_BEFORE(address) ANNOTATE_HAPPENS_BEFORE(address)
	#define HB_AFTER(address) ANNOTATE_HAPPENS_AFTER(address)
	/* The atomic words themselves are race-free by construction; helgrind would flag them. */
	#define NOT_CHECKED(field) VALGRIND_HG_DISABLE_CHECKING(&(field), sizeof(field))
#else
	#define NOT_CHECKED(field) ((void)0)
	#define HB_BEFORE(address) ((void)0)
	#define HB_AFTER(address) ((void)0)
#endif

#define WRAP_MARK 0xFFFFFFFFu

static uint32_t align4(uint32_t n)
{
	return (n + 3u) & ~3u;
}

static int lock_init(ring_lock_t *lock)
{
#if defined(ESP_PLATFORM)
	lock->handle = xSemaphoreCreateMutexStatic(&lock->storage);
	return lock->handle ? 0 : -1;
#else
	return pthread_mutex_init(lock, NULL) == 0 ? 0 : -1;
#endif
}

static void lock_take(ring_lock_t *lock)
{
#if defined(ESP_PLATFORM)
	xSemaphoreTake(lock->handle, portMAX_DELAY);
#else
	pthread_mutex_lock(lock);
#endif
}

static void lock_give(ring_lock_t *lock)
{
#if defined(ESP_PLATFORM)
	xSemaphoreGive(lock->handle);
#else
	pthread_mutex_unlock(lock);
#endif
}

static void count(_Atomic uint32_t *counter)
{
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

int ring_init(ring_t *r, uint8_t *storage, uint32_t size, uint32_t max_frame)
{
	if (size < RING_MIN_SIZE || (size & (size - 1)) != 0 || ((uintptr_t)storage & 3u) != 0)
		return -1;
	if (max_frame == 0 || max_frame > 0xFFFFu || 2u * (RING_HEADER + align4(max_frame)) > size)
		return -1;
	r->buf = storage;
	r->size = size;
	r->max_frame = max_frame;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->notify, 0);
	atomic_init(&r->frames_in, 0);
	atomic_init(&r->frames_out, 0);
	atomic_init(&r->overflows, 0);
	atomic_init(&r->oversize, 0);
	atomic_init(&r->truncated, 0);
	atomic_init(&r->posts, 0);
	atomic_init(&r->post_failures, 0);
	atomic_init(&r->high_water, 0);
	NOT_CHECKED(r->head);
	NOT_CHECKED(r->tail);
	NOT_CHECKED(r->notify);
	NOT_CHECKED(r->frames_in);
	NOT_CHECKED(r->frames_out);
	NOT_CHECKED(r->overflows);
	NOT_CHECKED(r->oversize);
	NOT_CHECKED(r->truncated);
	NOT_CHECKED(r->posts);
	NOT_CHECKED(r->post_failures);
	NOT_CHECKED(r->high_water);
	return lock_init(&r->lock);
}

void ring_deinit(ring_t *r)
{
#if defined(ESP_PLATFORM)
	if (r->lock.handle)
		vSemaphoreDelete(r->lock.handle);
	r->lock.handle = NULL;
#else
	pthread_mutex_destroy(&r->lock);
#endif
}

int ring_push(ring_t *r, const uint8_t *frame, uint32_t length)
{
	if (length == 0 || length > r->max_frame) {
		count(&r->oversize);
		return RING_BAD_SIZE;
	}
	const uint32_t record = RING_HEADER + align4(length);
	lock_take(&r->lock);
	/* head: only producers write it, and we hold their lock. tail: acquire pairs with the
	   consumer's release, so the bytes it gave back are no longer being read. */
	const uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	const uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	HB_AFTER(&r->tail);
	const uint32_t mask = r->size - 1;
	uint32_t pos = head & mask;
	const uint32_t contiguous = r->size - pos;
	const uint32_t pad = contiguous < record ? contiguous : 0;
	const uint32_t used = head - tail;
	if (pad + record > r->size - used) {
		lock_give(&r->lock);
		count(&r->overflows);
		return RING_FULL;
	}
	if (pad) {
		const uint32_t mark = WRAP_MARK;
		memcpy(r->buf + pos, &mark, sizeof mark);
		pos = 0;
	}
	memcpy(r->buf + pos, &length, sizeof length);
	memcpy(r->buf + pos + RING_HEADER, frame, length);
	HB_BEFORE(&r->head);
	atomic_store(&r->head, head + pad + record); /* publishes the record (seq_cst: see ring.h) */
	const uint32_t now_used = used + pad + record;
	if (now_used > atomic_load_explicit(&r->high_water, memory_order_relaxed))
		atomic_store_explicit(&r->high_water, now_used, memory_order_relaxed);
	lock_give(&r->lock);
	count(&r->frames_in);
	if (atomic_exchange(&r->notify, 1) == 0) {
		count(&r->posts);
		return RING_POST;
	}
	return RING_QUEUED;
}

void ring_post_failed(ring_t *r)
{
	count(&r->post_failures);
	atomic_store(&r->notify, 0);
}

int ring_pop(ring_t *r, uint8_t *dst, uint32_t capacity)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed); /* ours alone */
	const uint32_t head = atomic_load(&r->head);
	HB_AFTER(&r->head);
	if (tail == head)
		return 0;
	const uint32_t mask = r->size - 1;
	uint32_t pos = tail & mask;
	uint32_t length;
	memcpy(&length, r->buf + pos, sizeof length);
	if (length == WRAP_MARK) {
		/* The producer wrote the mark and the record after it before publishing head. */
		tail += r->size - pos;
		pos = 0;
		memcpy(&length, r->buf, sizeof length);
	}
	int result;
	if (length > capacity) {
		count(&r->truncated);
		result = -1;
	}
	else {
		memcpy(dst, r->buf + pos + RING_HEADER, length);
		count(&r->frames_out);
		result = (int)length;
	}
	HB_BEFORE(&r->tail);
	atomic_store_explicit(&r->tail, tail + RING_HEADER + align4(length), memory_order_release);
	return result;
}

int ring_finish(ring_t *r)
{
	atomic_store(&r->notify, 0);
	const uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	if (atomic_load(&r->head) == tail)
		return 0; /* empty: the next push posts */
	/* Frames are left, or arrived after the last pop: ours to announce unless a producer did. */
	return atomic_exchange(&r->notify, 1) == 0 ? 1 : 0;
}

uint32_t ring_waiting(ring_t *r)
{
	const uint32_t in = atomic_load_explicit(&r->frames_in, memory_order_relaxed);
	const uint32_t out = atomic_load_explicit(&r->frames_out, memory_order_relaxed)
		+ atomic_load_explicit(&r->truncated, memory_order_relaxed);
	return in - out;
}

void ring_counters(ring_t *r, ring_counters_t *out)
{
	out->frames_in = atomic_load_explicit(&r->frames_in, memory_order_relaxed);
	out->frames_out = atomic_load_explicit(&r->frames_out, memory_order_relaxed);
	out->overflows = atomic_load_explicit(&r->overflows, memory_order_relaxed);
	out->oversize = atomic_load_explicit(&r->oversize, memory_order_relaxed);
	out->truncated = atomic_load_explicit(&r->truncated, memory_order_relaxed);
	out->posts = atomic_load_explicit(&r->posts, memory_order_relaxed);
	out->post_failures = atomic_load_explicit(&r->post_failures, memory_order_relaxed);
	out->high_water = atomic_load_explicit(&r->high_water, memory_order_relaxed);
	out->used = atomic_load(&r->head) - atomic_load(&r->tail);
	out->size = r->size;
}

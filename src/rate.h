/* rate.h - token buckets, for a socket's frames (live.h).
 *
 * A bucket holds up to burst tokens and gains rate of them a second; a
 * frame takes one. Tokens are counted in thousandths, so the state is two
 * integers that fit a JSON attachment exactly. */
#ifndef CW_RATE_H
#define CW_RATE_H

typedef struct {
    long long milli; /* tokens x 1000 */
    long long at;    /* when they were counted, ms since the epoch; 0: never (full) */
} cw_bucket;

/* Takes a token from b at now_ms (rate a second, at most burst). Returns 0
 * when there was one, else how many ms until there will be (b unchanged
 * but refilled). */
long long cw_rate_take(cw_bucket *b, long long now_ms, long long rate, long long burst);

#endif

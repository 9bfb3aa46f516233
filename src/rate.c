/* rate.c - token buckets (see rate.h). */
#include "rate.h"

long long cw_rate_take(cw_bucket *b, long long now_ms, long long rate, long long burst) {
    long long full = burst * 1000, dt = b->at ? now_ms - b->at : 0;
    if (!b->at || b->milli > full)
        b->milli = full;
    if (dt > 0)
        b->milli = dt > full / (rate ? rate : 1) + 1 ? full : b->milli + dt * rate;
    if (b->milli > full)
        b->milli = full;
    if (dt > 0 || !b->at)
        b->at = now_ms;
    if (b->milli >= 1000) {
        b->milli -= 1000;
        return 0;
    }
    return rate > 0 ? (1000 - b->milli + rate - 1) / rate : 1000;
}

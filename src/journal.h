/* journal.h - the change journal's rules: what a write touches, when two
 * writes overlap, how an entry reads in a changes list, and how far
 * retention cuts. Storage of the rows is store.h's.
 *
 * Paths. A merge patch touches a path for each of its leaves: a member
 * whose value is not an object, or is an empty object (it creates or
 * replaces one), names the path to it; a member with a non-empty object
 * recurses. Paths are written as JSON Pointers (RFC 6901: "~" as "~0", "/"
 * as "~1"), so in the escaped form every '/' separates segments.
 *
 * Overlap. Two paths overlap when they are equal or one is a prefix of the
 * other, segment by segment ("/a" overlaps "/a/b", never "/ab"). A write
 * against a base version commits when none of its paths overlaps a path of
 * a write accepted after the base. */
#ifndef CW_JOURNAL_H
#define CW_JOURNAL_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"

/* The paths patch (borrowed, an object) touches, as a new array of JSON
 * Pointer strings in patch order; NULL when out of memory. */
json_t *cw_journal_paths(json_t *patch);

/* Collects what others (borrowed, an array of pointer strings) covers, for
 * cw_journal_conflicts: the paths themselves and each of their proper
 * prefixes. Returns 0, or -1 when out of memory. seen and above are new
 * objects used as sets (free with json_decref). */
int cw_journal_cover(json_t *others, json_t **seen, json_t **above);

/* The paths of mine (borrowed, an array of pointers) that overlap a path
 * of the cover (see cw_journal_cover), as a new array in mine's order
 * (empty when none); NULL when out of memory. */
json_t *cw_journal_conflicts(json_t *mine, json_t *seen, json_t *above);

/* Appends one entry of a changes list to out:
 * {"version","at","request_id","actor","patch"}, with patch[0..pn) the JSON
 * text as stored and actor NULL (JSON null) or an[0..an). Returns 0 or -1
 * as cw_buf_append. */
int cw_journal_entry(cw_buf *out, long long version, long long at, const char *rid, size_t rn,
                     const char *actor, size_t an, const char *patch, size_t pn);

/* A hash of a write's patch text p[0..n) as applied, for its idempotency
 * key's row: 64-bit FNV-1a folded to 53 bits, so it is exact wherever a
 * host holds it as a double. */
long long cw_journal_hash(const char *p, size_t n);

/* Retention: with count entries of bytes in total (the new one included)
 * against limits max_entries / max_bytes, how many of the oldest to drop.
 * Nothing while within both; past either, down to 90% of both (so a cut is
 * rare and its read amortized), never the newest entry. sizes[0..n) are the
 * oldest entries' sizes, oldest first (n >= the answer; pass the count).
 * Returns the number to drop. */
size_t cw_journal_cut(long long count, long long bytes, long long max_entries, long long max_bytes,
                      const long long *sizes, size_t n);

/* 1 when retention needs the oldest sizes: count or bytes is past its limit. */
int cw_journal_over(long long count, long long bytes, long long max_entries, long long max_bytes);

#endif

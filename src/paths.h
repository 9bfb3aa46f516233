/* paths.h - lists of JSON Pointer prefixes (RFC 6901): what a token lets
 * its holder read or write (jwt.h's "paths" claim).
 *
 * A list is a Jansson array of pointers in their escaped form ("~0" for
 * "~", "~1" for "/"); NULL stands for the whole document. A pointer p is
 * covered by a prefix q when p == q or p starts with q and then "/": the
 * comparison is of escaped bytes, which RFC 6901's escaping makes exact,
 * so "/users/al" covers neither "/users/alice" nor "/users/al~1x" (the
 * member "al/x"). Pointers name object members: an array is a value, and a
 * pointer into one is no pointer of a document here.
 *
 * A merge patch (RFC 7386) touches, at each member it names:
 *   - a value that is not an object (null deletes): that pointer and
 *     everything under it;
 *   - an object: the pointers its members touch, and the pointer itself
 *     when the document holds a value there that is not an object (the
 *     merge replaces it).
 * So {"users": null} touches "/users" and everything under it, and a
 * write list of "/users/alice" does not allow it. */
#ifndef CW_PATHS_H
#define CW_PATHS_H

#include <stddef.h>

#include <jansson.h>

#define CW_PATHS_MAX 32     /* pointers in one list */
#define CW_POINTER_MAX 1024 /* bytes of one pointer */
#define CW_PATHS_BYTES 2048 /* a socket's pointers as JSON text, at most (its attachment holds them) */

/* 1 when p[0..n) is a pointer: "" or "/" segments, "~" only as ~0 or ~1,
 * UTF-8 (the caller's JSON decoding guarantees it). */
int cw_paths_pointer_ok(const char *p, size_t n);

/* Checks that v is an array of at most CW_PATHS_MAX pointers of at most
 * CW_POINTER_MAX bytes, and returns its normal form (a new array: no entry
 * covered by another, first seen kept), or NULL when an entry is "": the
 * whole document. Returns -1 with *why set when it is not a list. */
int cw_paths_read(const json_t *v, json_t **out, const char **why);

/* The pointers both a and b cover (NULL: everything), in normal form: a
 * new list, possibly empty; NULL when both are NULL. *oom set when out of
 * memory. */
json_t *cw_paths_meet(const json_t *a, const json_t *b, int *oom);

/* 1 when p[0..n) is covered by list (NULL: everything). */
int cw_paths_covers(const json_t *list, const char *p, size_t n);

/* The segments of the entry of list (in normal form: at most one) that
 * covers p[0..n): 0 for NULL (the whole document), -1 when none does. */
int cw_paths_covering(const json_t *list, const char *p, size_t n);

/* 1 when p[0..n) is a strict ancestor of an entry of list. */
int cw_paths_above(const json_t *list, const char *p, size_t n);

/* 1 when p[0..n) is q[0..qn) or under it. */
int cw_paths_under(const char *p, size_t n, const char *q, size_t qn);

/* Sets the member of out at pointer p[0..n) (not "") to v (a reference
 * taken), making its parents objects where they are not. 0, or -1. */
int cw_paths_put(json_t *out, const char *p, size_t n, json_t *v);

/* The value at pointer p[0..n) through objects only (borrowed), or NULL. */
json_t *cw_paths_get(json_t *v, const char *p, size_t n);

/* Whether the document holds an object at pointer p[0..n), or nothing:
 * 1 yes, 0 no (another value), -1 failed (err set by the callee). */
typedef int (*cw_paths_object_fn)(void *arg, const char *p, size_t n);

/* Appends to out (a Jansson array) the pointers patch (an object) touches
 * outside list, in the patch's order; is_object answers for the members
 * above list's entries that the patch merges into. Returns the count
 * appended, or -1 (out of memory, or is_object failed). */
int cw_paths_outside(const json_t *patch, const json_t *list, cw_paths_object_fn is_object,
                     void *arg, json_t *out);

/* A document's part under list: a new object holding, for each entry whose
 * value exists in state, that value with its parents as objects. A patch's
 * part (patch 1): likewise, and where the patch sets a value that is not an
 * object above an entry (a delete or a replacement of its parent), null at
 * the entry. With list NULL, value itself (a reference taken: a caller
 * never changes a projection). NULL when out of memory. */
json_t *cw_paths_project(const json_t *value, const json_t *list, int patch);

#endif

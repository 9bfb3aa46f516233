/* jansson_private_config.h - what Jansson may assume about the platform.
 * No urandom, time or pid: the hashtable seed always comes from the host's
 * CSPRNG through cw_init (runtime.c). */
#ifndef JANSSON_PRIVATE_CONFIG_H
#define JANSSON_PRIVATE_CONFIG_H
#define HAVE_STDINT_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_UNISTD_H 1
#define INITIAL_HASHTABLE_ORDER 3
#endif

/* Outside the guard on purpose: lookup3.h includes this header again after
 * the libc headers defined __BYTE_ORDER, and without it hashlittle() keeps
 * only its byte-at-a-time path (the same hash on a little-endian machine,
 * 1.5 KB of code less than its three aligned-read variants). */
#ifdef CW_HASH_BYTEWISE
#undef __BYTE_ORDER
#endif

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

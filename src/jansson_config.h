/* jansson_config.h - Jansson's build configuration for this project.
 * Replaces the configure-generated header for both the wasm32 and the host
 * build, so both compile the same Jansson the same way. */
#ifndef JANSSON_CONFIG_H
#define JANSSON_CONFIG_H

#ifdef __cplusplus
#define JSON_INLINE inline
#else
#define JSON_INLINE inline
#endif

#define JSON_INTEGER_IS_LONG_LONG 1

/* The decimal point is always '.': no locale support is linked. */
#define JSON_HAVE_LOCALECONV 0

/* One thread per instance: plain reference counts are enough. */
#define JSON_HAVE_ATOMIC_BUILTINS 0
#define JSON_HAVE_SYNC_BUILTINS 0

/* Parser nesting limit. Also bounds merge-patch recursion, so it must fit
 * the wasm stack (see the Makefile's stack-size). */
#define JSON_PARSER_MAX_DEPTH 128

#endif

/* port.h - the one synchronous call the module makes into its host.
 *
 * Inside a Durable Object, storage and the object's sockets are
 * synchronous (ctx.storage.sql, the hibernation API), so the owner stage
 * reads, writes and looks at its sockets from inside one call into the
 * module instead of suspending for each: that is the crossing saved.
 * Everything goes through one function, cw_port_call(op, in, n, out):
 *
 *   op < CW_PORT_SOCKETS   run SQL statement op (store.h's table) with the
 *                          n parameters in; its rows come back in out
 *   CW_PORT_SOCKETS        the object's sockets, in the order the host will
 *                          use for this call's frames (pipeline.h CW_FRAME_*):
 *                          a row each of (flags INT: 1 open, 2 the sender;
 *                          attachment TEXT)
 *   CW_PORT_ATTACH         in[0] TEXT becomes the sender's attachment, or,
 *                          with in[1] INT, that of the socket at that place
 *                          of the CW_PORT_SOCKETS list
 *   CW_PORT_ACCEPT         accept a new hibernatable socket with in[0] TEXT
 *                          as its attachment; its client end answers the
 *                          upgrade
 *   CW_PORT_COMMIT         run a batch of write statements in one
 *                          transaction: in is, per statement, an INT (the
 *                          statement), an INT (its parameter count n), then
 *                          its n parameters; all are written, or none
 *
 * It returns 0, or -1 when the host could not (a failed statement, a
 * refused attachment, no host at all: the edge stage has none). Reads and
 * socket operations run as they come, outside any transaction.
 *
 * Values cross as cells, the one layout of a parameter or a result value
 * (worker/layout.js reads it): 16 bytes, the type, a byte length, and a
 * double holding an integer (exact to 2^53, which bounds every number the
 * module stores: versions, times, counts and hashes) or the address of the
 * bytes. A result is out->rows * out->cols cells in one block the host
 * allocated with cw_alloc, the bytes after them; cw_port_release frees it.
 *
 * On wasm32 the function is the import "cw" "host" (exports.c installs
 * it); the native tests install their own over SQLite (tests/c/host.c).
 *
 * Global state (runtime.h lists it): the installed function. */
#ifndef CW_PORT_H
#define CW_PORT_H

#include <stddef.h>
#include <stdint.h>

enum { CW_VAL_NULL = 0, CW_VAL_INT = 1, CW_VAL_TEXT = 2, CW_VAL_BLOB = 3 };

enum { CW_PORT_SOCKETS = 100, CW_PORT_ATTACH = 101, CW_PORT_ACCEPT = 102, CW_PORT_COMMIT = 103 };

/* CW_PORT_SOCKETS flags. */
enum { CW_SOCKET_OPEN = 1, CW_SOCKET_SENDER = 2 };

typedef struct {
    uint32_t type; /* CW_VAL_* */
    uint32_t len;  /* TEXT, BLOB: bytes */
    double value;  /* INT: the integer; TEXT, BLOB: the bytes' address */
} cw_cell;

typedef struct {
    uint32_t rows, cols;
    cw_cell *cells; /* rows * cols cells, row by row; the host's block */
} cw_port_out;

#ifdef __wasm__
/* The layouts worker/layout.js reads (CELL, PORT_OUT); change both together. */
_Static_assert(sizeof(cw_cell) == 16, "cw_cell layout");
_Static_assert(offsetof(cw_cell, len) == 4, "cw_cell layout");
_Static_assert(offsetof(cw_cell, value) == 8, "cw_cell layout");
_Static_assert(offsetof(cw_port_out, cols) == 4, "cw_port_out layout");
_Static_assert(offsetof(cw_port_out, cells) == 8, "cw_port_out layout");
#endif

typedef int (*cw_port_fn)(int op, const cw_cell *in, int n, cw_port_out *out);

/* Installs the host's function (NULL: none; every call is then -1). */
void cw_port_install(cw_port_fn fn);

/* Calls the host: op with in[0..n) (borrowed; TEXT and BLOB addresses
 * must stay valid for the call). out is zeroed first and, on 0, holds the
 * rows (release them). Returns 0, or -1 when the host failed or there is
 * none. */
int cw_port_call(int op, const cw_cell *in, int n, cw_port_out *out);

/* Frees out's block (cw_alloc_free) and zeroes it. */
void cw_port_release(cw_port_out *out);

/* A TEXT cell over p[0..n) (borrowed), and an INT cell. */
cw_cell cw_port_text(const char *p, size_t n);
cw_cell cw_port_int(long long v);

#endif

/* handlers.h - the route table: every route and its handler. */
#ifndef CW_HANDLERS_H
#define CW_HANDLERS_H

#include <stddef.h>

#include "router.h"

/* The route table (static), with *n set to its length. */
const cw_route *cw_handlers_routes(size_t *n);

#endif

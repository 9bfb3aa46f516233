/* Test-only: declares the route capability but exports no cwp_route. */
#include "cwp.h"

CWP_PLUGIN("noexport", "1.0.0", CWP_CAP_ROUTE)

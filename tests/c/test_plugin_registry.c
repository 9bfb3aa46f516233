/* test_plugin_registry.c - each plugin's lifecycle in the plugins worker's
 * registry (plugin_registry.h), over the test manifest. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "harness.h"
#include "plugin_registry.h"

#define S(s) s, strlen(s)

/* Facts of a plugin that passes the contract (select: route, 1.x). */
static cw_plugin_contract_facts good(const char *name, const char *version) {
    cw_plugin_contract_facts f = {name, name, version, strlen(name), strlen(name), strlen(version),
                                  1,    1,    0x7f};
    return f;
}

/* The registry entry of name, as a Jansson object (the caller frees). */
static json_t *entry(const char *name) {
    json_t *all = json_loads(cw_plugin_registry_report(S(name)), 0, NULL), *e;
    CHECK_INT(json_array_size(all), 1);
    e = json_incref(json_array_get(all, 0));
    json_decref(all);
    return e;
}

static const char *state_of(json_t *e) { return json_string_value(json_object_get(e, "state")); }

static void load_use_trap_and_load_again(void) {
    cw_plugin_contract_facts f = good("select", "1.2.3");
    json_t *e;
    CHECK_INT(cw_plugin_registry_use(S("select")), CW_USE_LOAD);
    CHECK(cw_plugin_registry_check(&f) == NULL);
    CHECK_STR(cw_plugin_registry_log(), ""); /* loading is not logged */
    CHECK_INT(cw_plugin_registry_use(S("select")), CW_USE_LIVE);
    e = entry("select");
    CHECK_STR(state_of(e), "loaded");
    CHECK_STR(json_string_value(json_object_get(e, "version")), "1.2.3");
    CHECK_INT(json_integer_value(json_object_get(e, "abi")), 1);
    CHECK_INT(json_integer_value(json_object_get(e, "loads")), 1);
    CHECK(json_is_null(json_object_get(e, "last_error")));
    json_decref(e);
    /* A trap: failed, logged as an error; the next use loads it again. */
    cw_plugin_registry_failed(S("select"), S("trap in route: unreachable"));
    CHECK(strstr(cw_plugin_registry_log(),
                 "\"level\":\"error\",\"msg\":\"plugin failed\",\"plugin\":"
                 "\"select\",\"state\":\"failed\",\"cause\":\"trap in route: "
                 "unreachable\"") != NULL);
    CHECK_STR(cw_plugin_registry_log(), ""); /* taken once */
    CHECK_INT(cw_plugin_registry_use(S("select")), CW_USE_LOAD);
    CHECK(cw_plugin_registry_check(&f) == NULL);
    e = entry("select");
    CHECK_STR(state_of(e), "loaded");
    CHECK_INT(json_integer_value(json_object_get(e, "loads")), 2);
    CHECK_STR(json_string_value(json_object_get(e, "last_error")), "trap in route: unreachable");
    json_decref(e);
}

static void a_refusal_holds_until_unloaded(void) {
    cw_plugin_contract_facts f = good("oldver", "1.0.0"); /* the manifest wants 2.x */
    const char *why;
    json_t *e;
    CHECK_INT(cw_plugin_registry_use(S("oldver")), CW_USE_LOAD);
    why = cw_plugin_registry_check(&f);
    CHECK(why && strstr(why, "version is outside the accepted range") != NULL);
    CHECK(strstr(cw_plugin_registry_log(), "\"msg\":\"plugin refused\"") != NULL);
    CHECK_INT(cw_plugin_registry_use(S("oldver")), CW_USE_NO);
    CHECK(strstr(cw_plugin_registry_why(), "version is outside the accepted range") != NULL);
    e = entry("oldver");
    CHECK_STR(state_of(e), "refused");
    CHECK(strstr(json_string_value(json_object_get(e, "last_error")), "accepted range") != NULL);
    CHECK_STR(json_string_value(json_object_get(e, "version")), "1.0.0");
    json_decref(e);
    /* An operator's unload clears it (no instance to drop); the next use
     * checks it again. */
    CHECK_INT(cw_plugin_registry_unload(S("oldver")), 0);
    CHECK(strstr(cw_plugin_registry_log(), "\"msg\":\"plugin unloaded\"") != NULL);
    CHECK_INT(cw_plugin_registry_use(S("oldver")), CW_USE_LOAD);
}

static void unload_drops_a_loaded_instance(void) {
    cw_plugin_contract_facts f = good("select", "1.2.3");
    json_t *e;
    if (cw_plugin_registry_use(S("select")) == CW_USE_LOAD)
        CHECK(cw_plugin_registry_check(&f) == NULL);
    cw_plugin_registry_log();
    CHECK_INT(cw_plugin_registry_unload(S("select")), 1);
    CHECK(strstr(cw_plugin_registry_log(), "\"level\":\"info\",\"msg\":\"plugin unloaded\"") !=
          NULL);
    CHECK_INT(cw_plugin_registry_unload(S("select")), 0); /* once */
    CHECK_STR(cw_plugin_registry_log(), "");
    e = entry("select");
    CHECK_STR(state_of(e), "unloaded");
    json_decref(e);
    CHECK_INT(cw_plugin_registry_use(S("select")), CW_USE_LOAD);
}

static void unknown_plugins_and_the_whole_report(void) {
    json_t *all;
    size_t i;
    json_t *v;
    CHECK_INT(cw_plugin_registry_use(S("nope")), CW_USE_NO);
    CHECK_STR(cw_plugin_registry_why(), "not in this build");
    cw_plugin_registry_failed(S("nope"), S("x")); /* no entry: nothing happens */
    CHECK_INT(cw_plugin_registry_unload(S("nope")), 0);
    CHECK_STR(cw_plugin_registry_report(S("nope")), "[]");
    CHECK_STR(cw_plugin_registry_log(), "");
    all = json_loads(cw_plugin_registry_report("", 0), 0, NULL);
    CHECK_INT(json_array_size(all), 7); /* every plugin of the test manifest */
    json_array_foreach(all, i, v) {
        CHECK(json_is_string(json_object_get(v, "name")));
        CHECK(json_object_size(v) == 6);
    }
    json_decref(all);
}

static void instantiation_failures_are_failed_and_retried(void) {
    json_t *e;
    CHECK_INT(cw_plugin_registry_use(S("badtypes")), CW_USE_LOAD);
    cw_plugin_registry_failed(S("badtypes"), S("contract exports: cwp_name is not a function\x01"));
    CHECK(strstr(cw_plugin_registry_log(),
                 "\"cause\":\"contract exports: cwp_name is not a function?\"") !=
          NULL); /* printable ASCII only */
    e = entry("badtypes");
    CHECK_STR(state_of(e), "failed");
    CHECK(json_is_null(json_object_get(e, "abi")));
    json_decref(e);
    CHECK_INT(cw_plugin_registry_use(S("badtypes")), CW_USE_LOAD);
}

const cw_test cw_tests[] = {
    {"load_use_trap_and_load_again", load_use_trap_and_load_again},
    {"a_refusal_holds_until_unloaded", a_refusal_holds_until_unloaded},
    {"unload_drops_a_loaded_instance", unload_drops_a_loaded_instance},
    {"unknown_plugins_and_the_whole_report", unknown_plugins_and_the_whole_report},
    {"instantiation_failures_are_failed_and_retried",
     instantiation_failures_are_failed_and_retried},
    {NULL, NULL},
};

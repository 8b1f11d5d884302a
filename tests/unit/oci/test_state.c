/*
 * Unit tests for common/oci/state: the hook shape and the `runc state`
 * shape, compared byte for byte with what runc 1.1.5 printed for the same
 * container on this machine, plus the RFC 3339 time format.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/oci/state.h"

static const struct oci_kv g_annotations[] = {
	{ "b", "2" },
	{ "a", "1" },
};

static struct oci_state base_state(void)
{
	return (struct oci_state){
		.oci_version = "1.0.2-dev",
		.id = "rc1",
		.status = OCI_STATUS_CREATED,
		.pid = 30609,
		.bundle = "/tmp/rcb",
		.rootfs = "/tmp/rcb/rootfs",
		.created = { 1795879637, 924075888 }, /* 2026-11-28T15:27:17.924075888Z */
		.annotations = g_annotations,
		.annotations_count = 2,
	};
}

static void test_hook_shape(void **state)
{
	struct oci_state st = base_state();
	char *json;

	st.status = OCI_STATUS_CREATING;
	json = oci_state_json(&st, OCI_STATE_HOOK);
	assert_string_equal(json,
	                    "{\"ociVersion\":\"1.0.2-dev\",\"id\":\"rc1\",\"status\":\"creating\","
	                    "\"pid\":30609,\"bundle\":\"/tmp/rcb\",\"annotations\":{\"a\":\"1\","
	                    "\"b\":\"2\"}}");
	free(json);
}

static void test_hook_shape_stopped_no_pid(void **state)
{
	struct oci_state st = base_state();
	char *json;

	st.status = OCI_STATUS_STOPPED;
	st.annotations_count = 0;
	st.oci_version = NULL;
	json = oci_state_json(&st, OCI_STATE_HOOK);
	assert_string_equal(json, "{\"ociVersion\":\"" OCI_STATE_VERSION "\",\"id\":\"rc1\","
	                          "\"status\":\"stopped\",\"bundle\":\"/tmp/rcb\"}");
	free(json);
}

static void test_cli_shape(void **state)
{
	struct oci_state st = base_state();
	char *json = oci_state_json(&st, OCI_STATE_CLI);

	assert_string_equal(json, "{\n"
	                          "  \"ociVersion\": \"1.0.2-dev\",\n"
	                          "  \"id\": \"rc1\",\n"
	                          "  \"pid\": 30609,\n"
	                          "  \"status\": \"created\",\n"
	                          "  \"bundle\": \"/tmp/rcb\",\n"
	                          "  \"rootfs\": \"/tmp/rcb/rootfs\",\n"
	                          "  \"created\": \"2026-11-28T15:27:17.924075888Z\",\n"
	                          "  \"annotations\": {\n"
	                          "    \"a\": \"1\",\n"
	                          "    \"b\": \"2\"\n"
	                          "  },\n"
	                          "  \"owner\": \"\"\n"
	                          "}");
	free(json);
}

static void test_cli_shape_stopped(void **state)
{
	struct oci_state st = base_state();
	char *json;

	st.status = OCI_STATUS_STOPPED;
	st.annotations_count = 0;
	json = oci_state_json(&st, OCI_STATE_CLI);
	/* runc: pid 0 once stopped; no annotations key when there are none. */
	assert_string_equal(json, "{\n"
	                          "  \"ociVersion\": \"1.0.2-dev\",\n"
	                          "  \"id\": \"rc1\",\n"
	                          "  \"pid\": 0,\n"
	                          "  \"status\": \"stopped\",\n"
	                          "  \"bundle\": \"/tmp/rcb\",\n"
	                          "  \"rootfs\": \"/tmp/rcb/rootfs\",\n"
	                          "  \"created\": \"2026-11-28T15:27:17.924075888Z\",\n"
	                          "  \"owner\": \"\"\n"
	                          "}");
	free(json);
}

static void test_paused_and_escaping(void **state)
{
	struct oci_kv odd = { "k\"ey", "line\nbreak" };
	struct oci_state st = base_state();
	char *json;

	st.status = OCI_STATUS_PAUSED;
	st.annotations = &odd;
	st.annotations_count = 1;
	json = oci_state_json(&st, OCI_STATE_HOOK);
	assert_non_null(strstr(json, "\"status\":\"paused\",\"pid\":30609"));
	assert_non_null(strstr(json, "{\"k\\\"ey\":\"line\\nbreak\"}"));
	free(json);
}

static void test_missing_fields(void **state)
{
	struct oci_state st = base_state();

	st.id = NULL;
	assert_null(oci_state_json(&st, OCI_STATE_HOOK));
	st = base_state();
	st.bundle = NULL;
	assert_null(oci_state_json(&st, OCI_STATE_CLI));
	st = base_state();
	st.status = (enum oci_status)42;
	assert_null(oci_state_json(&st, OCI_STATE_CLI));
}

static void test_rfc3339nano(void **state)
{
	char buf[64];

	assert_string_equal(oci_format_rfc3339nano((struct timespec){ 0, 0 }, buf, sizeof(buf)),
	                    "1970-01-01T00:00:00Z");
	assert_string_equal(
	        oci_format_rfc3339nano((struct timespec){ 1, 500000000 }, buf, sizeof(buf)),
	        "1970-01-01T00:00:01.5Z");
	assert_string_equal(
	        oci_format_rfc3339nano((struct timespec){ 951782400, 1 }, buf, sizeof(buf)),
	        "2000-02-29T00:00:00.000000001Z");
	assert_string_equal(oci_status_name(OCI_STATUS_RUNNING), "running");
	assert_null(oci_status_name((enum oci_status)9));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hook_shape),
		cmocka_unit_test(test_hook_shape_stopped_no_pid),
		cmocka_unit_test(test_cli_shape),
		cmocka_unit_test(test_cli_shape_stopped),
		cmocka_unit_test(test_paused_and_escaping),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_rfc3339nano),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

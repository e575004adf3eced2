/* test_modbus_errors.c - every Modbus exception code has a name.
 *
 * libmodbus's modbus_strerror() says "Unknown error 112345678" for code 0
 * and "Invalid exception code" past 0x0B; mb_strerror() names them all.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/modbus_link.h"

struct name_case {
	int e;
	const char *want;
};

static const struct name_case cases[] = {
	{ MODBUS_ENOBASE, "exception 0x00 (not a valid Modbus exception code)" },
	{ EMBXILFUN, "exception 0x01 (illegal function)" },
	{ EMBXILADD, "exception 0x02 (illegal data address)" },
	{ EMBXILVAL, "exception 0x03 (illegal data value)" },
	{ EMBXSFAIL, "exception 0x04 (server device failure)" },
	{ EMBXACK, "exception 0x05 (acknowledge: accepted, still processing)" },
	{ EMBXSBUSY, "exception 0x06 (server device busy)" },
	{ EMBXNACK, "exception 0x07 (negative acknowledge)" },
	{ EMBXMEMPAR, "exception 0x08 (memory parity error)" },
	{ MODBUS_ENOBASE + 9, "exception 0x09 (not a valid Modbus exception code)" },
	{ EMBXGPATH, "exception 0x0A (gateway path unavailable)" },
	{ EMBXGTAR, "exception 0x0B (gateway target device failed to respond)" },
	{ EMBBADEXC, "exception above 0x0B (not a valid Modbus exception code), or a "
	             "malformed exception answer" },
	{ ETIMEDOUT, "Connection timed out" },
};

static void test_strerror_names_every_exception(void **state)
{
	(void)state;
	size_t failed = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *got = mb_strerror(cases[i].e);
		if (strcmp(got, cases[i].want) != 0) {
			print_error("FAIL errno %d\n    got  %s\n    want %s\n", cases[i].e, got,
			            cases[i].want);
			failed++;
		}
		bool exc = cases[i].e != ETIMEDOUT;
		if (mb_errno_is_exception(cases[i].e) != exc) {
			print_error("FAIL errno %d: is_exception %d, want %d\n", cases[i].e,
			            !exc, exc);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void test_every_code_of_the_byte_has_a_name(void **state)
{
	(void)state;
	size_t unnamed = 0;
	for (unsigned code = 0; code <= 255; code++) {
		const char *name = mb_exception_name(code);
		bool valid = (code >= 1 && code <= 8) || code == 10 || code == 11;
		bool says_invalid = strstr(name, "not a valid") != NULL;
		if (!name[0] || valid == says_invalid) {
			print_error("FAIL code %u: '%s'\n", code, name);
			unnamed++;
		}
	}
	assert_int_equal(unnamed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror_names_every_exception),
		cmocka_unit_test(test_every_code_of_the_byte_has_a_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

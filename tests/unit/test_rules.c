/* test_rules.c - rule classification, the alert state machine and device
 * communication state, table-driven. Each table runs every row and prints
 * got/want for each mismatch before failing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "alerting/alert.h"
#include "alerting/device_state.h"
#include "alerting/rule.h"

static struct fm_rule make_rule(enum fm_rule_kind kind, double threshold, double clear)
{
	return (struct fm_rule){.kind = kind, .threshold = threshold, .clear = clear};
}

static void test_classify(void **state)
{
	(void)state;
	static const struct {
		enum fm_rule_kind kind;
		double threshold, clear, value;
		bool active;
		enum fm_cond want;
	} rows[] = {
		/* above 30, clear 28: fires strictly above 30 */
		{FM_RULE_ABOVE, 30, 28, 29.9, false, FM_COND_FALSE},
		{FM_RULE_ABOVE, 30, 28, 30.0, false, FM_COND_FALSE},
		{FM_RULE_ABOVE, 30, 28, 30.1, false, FM_COND_TRUE},
		/* hysteresis: once active, a value between clear and above holds */
		{FM_RULE_ABOVE, 30, 28, 29.0, true, FM_COND_TRUE},
		{FM_RULE_ABOVE, 30, 28, 28.0, true, FM_COND_TRUE},
		{FM_RULE_ABOVE, 30, 28, 27.9, true, FM_COND_FALSE},
		/* below 15, clear 17 */
		{FM_RULE_BELOW, 15, 17, 15.0, false, FM_COND_FALSE},
		{FM_RULE_BELOW, 15, 17, 14.9, false, FM_COND_TRUE},
		{FM_RULE_BELOW, 15, 17, 16.5, true, FM_COND_TRUE},
		{FM_RULE_BELOW, 15, 17, 17.1, true, FM_COND_FALSE},
		/* equals / not_equals */
		{FM_RULE_EQUALS, 1, 1, 1, false, FM_COND_TRUE},
		{FM_RULE_EQUALS, 1, 1, 0, false, FM_COND_FALSE},
		{FM_RULE_EQUALS, 1, 1, 0, true, FM_COND_FALSE},
		{FM_RULE_NOT_EQUALS, 3, 3, 5, false, FM_COND_TRUE},
		{FM_RULE_NOT_EQUALS, 3, 3, 3, false, FM_COND_FALSE},
		/* a NaN is never a reading */
		{FM_RULE_ABOVE, 30, 28, NAN, false, FM_COND_UNKNOWN},
		{FM_RULE_EQUALS, 1, 1, NAN, true, FM_COND_UNKNOWN},
	};
	int failures = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct fm_rule r = make_rule(rows[i].kind, rows[i].threshold, rows[i].clear);
		enum fm_cond got = rule_classify(&r, rows[i].value, rows[i].active);
		if (got != rows[i].want) {
			printf("row %zu: value %g active %d: got %s, want %s\n", i,
			       rows[i].value, rows[i].active, cond_name(got),
			       cond_name(rows[i].want));
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* A script of (time, condition) steps and the state after each. */
struct step {
	int64_t t_ms;
	enum fm_cond c;
	enum fm_alert_state want;
	bool changed;
};

static int run_script(const char *name, int64_t for_ms, const struct step *s, size_t n)
{
	struct fm_alert a;
	alert_init(&a, for_ms, 0, 0);
	int failures = 0;
	for (size_t i = 0; i < n; i++) {
		struct fm_transition t;
		enum fm_alert_state before = a.state;
		bool changed = alert_step(&a, s[i].c, s[i].t_ms, s[i].t_ms, &t);
		if (a.state != s[i].want || changed != s[i].changed ||
		    (changed && (t.from != before || t.to != a.state))) {
			printf("%s step %zu (t=%lld %s): got %s changed=%d, want %s changed=%d\n",
			       name, i, (long long)s[i].t_ms, cond_name(s[i].c),
			       alert_state_name(a.state), changed, alert_state_name(s[i].want),
			       s[i].changed);
			failures++;
		}
	}
	return failures;
}

#define RUN(name, for_ms, steps) run_script(name, for_ms, steps, sizeof steps / sizeof steps[0])
#define T FM_COND_TRUE
#define F FM_COND_FALSE
#define U FM_COND_UNKNOWN

static void test_alert_lifecycle(void **state)
{
	(void)state;
	static const struct step no_delay[] = {
		{0, F, FM_ALERT_OK, true},          /* unknown -> ok on first data */
		{1000, F, FM_ALERT_OK, false},      /* no change, no event */
		{2000, T, FM_ALERT_FIRING, true},   /* for = 0 skips pending */
		{3000, T, FM_ALERT_FIRING, false},
		{4000, F, FM_ALERT_RESOLVED, true},
		{5000, F, FM_ALERT_OK, true},
		{6000, T, FM_ALERT_FIRING, true},
	};
	static const struct step with_for[] = {
		{0, F, FM_ALERT_OK, true},
		{1000, T, FM_ALERT_PENDING, true},
		{30000, T, FM_ALERT_PENDING, false},  /* 29 s of 60 */
		{40000, F, FM_ALERT_OK, true},        /* cleared before the delay */
		{50000, T, FM_ALERT_PENDING, true},   /* the delay starts again */
		{109999, T, FM_ALERT_PENDING, false},
		{110000, T, FM_ALERT_FIRING, true},   /* held for 60 s */
		{120000, F, FM_ALERT_RESOLVED, true},
		{130000, T, FM_ALERT_PENDING, true},  /* resolved -> pending again */
	};
	static const struct step unknown_paths[] = {
		{0, U, FM_ALERT_UNKNOWN, false},      /* starts unknown: no event */
		{1000, T, FM_ALERT_FIRING, true},
		{2000, U, FM_ALERT_UNKNOWN, true},    /* device down: firing -> unknown */
		{3000, T, FM_ALERT_FIRING, true},     /* back and still hot: firing at once */
		{4000, U, FM_ALERT_UNKNOWN, true},
		{5000, F, FM_ALERT_RESOLVED, true},   /* was firing: resolution is news */
		{6000, U, FM_ALERT_UNKNOWN, true},
		{7000, F, FM_ALERT_OK, true},         /* was not firing: plain ok */
	};
	static const struct step down_mid_for[] = {
		{0, F, FM_ALERT_OK, true},
		{1000, T, FM_ALERT_PENDING, true},
		{20000, U, FM_ALERT_UNKNOWN, true},   /* device down mid-delay */
		{30000, T, FM_ALERT_PENDING, true},   /* the delay restarts */
		{60000, T, FM_ALERT_PENDING, false},
		{90000, T, FM_ALERT_FIRING, true},
	};
	int failures = RUN("no_delay", 0, no_delay) + RUN("with_for", 60000, with_for) +
	               RUN("unknown_paths", 0, unknown_paths) +
	               RUN("down_mid_for", 60000, down_mid_for);
	assert_int_equal(failures, 0);
}

static void test_device_state(void **state)
{
	(void)state;
	static const struct {
		unsigned ok, failed;
		enum fm_dev_state want;
	} never_heard[] = {
		{0, 1, FM_DEV_UNKNOWN}, {0, 1, FM_DEV_UNKNOWN},
		{0, 1, FM_DEV_DOWN},          /* down_after = 3, never answered */
		{1, 0, FM_DEV_UP},            /* comes back at once */
		{1, 1, FM_DEV_DEGRADED},      /* one block failed */
		{0, 2, FM_DEV_DEGRADED},      /* missed one poll */
		{0, 2, FM_DEV_DEGRADED},
		{0, 2, FM_DEV_DOWN},
		{0, 2, FM_DEV_DOWN},
		{2, 0, FM_DEV_UP},
	};
	struct fm_dev_health h;
	dev_health_init(&h, 3, 0);
	int failures = 0;
	for (size_t i = 0; i < sizeof never_heard / sizeof never_heard[0]; i++) {
		dev_health_apply(&h, never_heard[i].ok, never_heard[i].failed,
		                 never_heard[i].ok ? NULL : "timeout", (int64_t)i);
		if (h.state != never_heard[i].want) {
			printf("poll %zu: got %s, want %s\n", i, dev_state_name(h.state),
			       dev_state_name(never_heard[i].want));
			failures++;
		}
	}
	assert_int_equal(failures, 0);
	assert_string_equal(h.error, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_alert_lifecycle),
		cmocka_unit_test(test_device_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_rules.c - rule classification (thresholds, rates over a window,
 * bits, all/any), the alert state machine (for, clear_for, flapping) and
 * device communication state, table-driven. Each table runs every row and prints
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

static struct fm_condition make_cond(enum fm_rule_kind kind, double threshold,
                                     double clear)
{
	return (struct fm_condition){.kind = kind, .threshold = threshold, .clear = clear};
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
		struct fm_condition r = make_cond(rows[i].kind, rows[i].threshold, rows[i].clear);
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

static int run_script(const char *name, int64_t for_ms, int64_t clear_ms,
                      const struct step *s, size_t n)
{
	struct fm_alert a;
	alert_init(&a, for_ms, clear_ms, 0, 0);
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

#define RUN(name, for_ms, steps) \
	run_script(name, for_ms, 0, steps, sizeof steps / sizeof steps[0])
#define RUN_CLEAR(name, for_ms, clear_ms, steps) \
	run_script(name, for_ms, clear_ms, steps, sizeof steps / sizeof steps[0])
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

/* clear_for: firing resolves only once clear that long; a true in
 * between starts the clearing again. */
static void test_clear_for(void **state)
{
	(void)state;
	static const struct step clear_for[] = {
		{0, F, FM_ALERT_OK, true},
		{1000, T, FM_ALERT_FIRING, true},
		{2000, F, FM_ALERT_FIRING, false},     /* clearing starts */
		{31000, F, FM_ALERT_FIRING, false},    /* 29 s of 30 */
		{32000, T, FM_ALERT_FIRING, false},    /* back: clearing forgotten */
		{33000, F, FM_ALERT_FIRING, false},
		{62999, F, FM_ALERT_FIRING, false},
		{63000, F, FM_ALERT_RESOLVED, true},   /* clear for 30 s */
		{64000, F, FM_ALERT_OK, true},
	};
	assert_int_equal(RUN_CLEAR("clear_for", 0, 30000, clear_for), 0);
}

/* A value crossing back and forth: after ALERT_FLAP_FIRES firings within
 * the flap window the alert stays firing until clear for the window. */
static void test_flapping_is_bounded(void **state)
{
	(void)state;
	struct fm_alert a;
	alert_init(&a, 0, 0, 0, 0);
	struct fm_transition t;
	unsigned events = 0;
	/* flips every 10 s for an hour */
	for (int64_t ms = 0; ms < 3600000; ms += 10000)
		events += alert_step(&a, (ms / 10000) % 2 ? F : T, ms, ms, &t);
	/* per 10-minute window at most 4 firing/resolved pairs, then the
	 * alert holds (2 events per pair + ok steps in between) */
	assert_true(events <= 6 * 3 * ALERT_FLAP_FIRES);
	assert_true(alert_is_flapping(&a, 3600000));
	assert_int_equal(a.state, FM_ALERT_FIRING);
	/* clear for the whole window: resolved */
	assert_false(alert_step(&a, F, 3600000, 3600000, &t));
	assert_true(alert_step(&a, F, 3600000 + ALERT_FLAP_WINDOW_MS, 0, &t));
	assert_int_equal(a.state, FM_ALERT_RESOLVED);
}

static void test_rate(void **state)
{
	(void)state;
	struct fm_condition rise = {.kind = FM_RULE_RISE, .threshold = 3, .within = 600};
	struct fm_condition fall = {.kind = FM_RULE_FALL, .threshold = 3, .within = 600};
	struct rate_window w;
	assert_int_equal(rate_window_init(&w, rate_window_size(600, 60)), 0);
	double change;
	/* one sample is no evidence */
	rate_window_add(&w, 0, 22.0, 600000);
	assert_int_equal(rule_classify_rate(&rise, &w, &change), F);
	/* +3.2 degC over 9 minutes: fires */
	for (int m = 1; m <= 9; m++)
		rate_window_add(&w, m * 60000, 22.0 + 0.4 * m - (m == 9 ? 0.4 : 0), 600000);
	assert_int_equal(rule_classify_rate(&rise, &w, &change), T);
	assert_true(fabs(change - 3.2) < 1e-9);
	assert_int_equal(rule_classify_rate(&fall, &w, &change), F);
	rate_window_free(&w);

	/* a gap longer than the window: 20 min without a sample, then +4:
	 * the window holds one sample only, so no rise is claimed */
	assert_int_equal(rate_window_init(&w, rate_window_size(600, 60)), 0);
	rate_window_add(&w, 0, 20.0, 600000);
	rate_window_add(&w, 1200000, 24.0, 600000);
	assert_int_equal(rule_classify_rate(&rise, &w, &change), F);
	/* the same change over 5 minutes is a rise */
	rate_window_add(&w, 1500000, 27.5, 600000);
	assert_int_equal(rule_classify_rate(&rise, &w, &change), T);
	rate_window_free(&w);

	/* a full ring drops the oldest, never overflows */
	assert_int_equal(rate_window_init(&w, 3), 0);
	for (int i = 0; i < 10; i++)
		rate_window_add(&w, i * 1000, i, 600000);
	assert_int_equal(w.n, 3);
	assert_int_equal(rule_classify_rate(&rise, &w, &change), F); /* 9 - 7 */
	assert_true(fabs(change - 2) < 1e-9);
	rate_window_free(&w);
}

static void test_bits_and_combine(void **state)
{
	(void)state;
	assert_int_equal(rule_classify_bit(0x5, 0), T);
	assert_int_equal(rule_classify_bit(0x5, 1), F);
	assert_int_equal(rule_classify_bit(0x5, 2), T);
	assert_int_equal(rule_classify_bit(4294967295.0, 31), T);
	assert_int_equal(rule_classify_bit(2.5, 1), U);   /* not a bit field */
	assert_int_equal(rule_classify_bit(-1, 0), U);
	assert_int_equal(rule_classify_bit(NAN, 0), U);
	static const struct {
		enum fm_combine how;
		enum fm_cond a, b, want;
	} rows[] = {
		{FM_COMBINE_ALL, T, T, T}, {FM_COMBINE_ALL, T, F, F}, {FM_COMBINE_ALL, T, U, U},
		{FM_COMBINE_ALL, F, U, F}, {FM_COMBINE_ANY, F, F, F}, {FM_COMBINE_ANY, F, T, T},
		{FM_COMBINE_ANY, U, T, T}, {FM_COMBINE_ANY, U, F, U},
	};
	int failures = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		enum fm_cond c[2] = {rows[i].a, rows[i].b};
		enum fm_cond got = cond_combine(rows[i].how, c, 2);
		if (got != rows[i].want) {
			printf("row %zu: got %s, want %s\n", i, cond_name(got), cond_name(rows[i].want));
			failures++;
		}
	}
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
		cmocka_unit_test(test_clear_for),
		cmocka_unit_test(test_flapping_is_bounded),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_bits_and_combine),
		cmocka_unit_test(test_device_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

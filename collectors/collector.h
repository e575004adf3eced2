/* collector.h - the interface every kind of device collector implements.
 *
 * Owns: the collector vtable, the shape of one poll's result, and the
 * registry that maps a bus type ("modbus-tcp", later "modbus-rtu", "snmp")
 * to its implementation. A new kind of device is a new file that fills a
 * struct fm_collector_ops and one line in registry.c.
 *
 * A collector instance serves one bus (one TCP endpoint or serial line) and
 * is driven by exactly one thread, the bus worker, so its calls may block up
 * to the bus timeout and need no locking.
 *
 * Folder collectors/ owns talking to devices: this vtable and
 * registry.c, the bus worker thread that runs one collector (worker.c),
 * Modbus (modbus*.c, scale.c) and SNMP (snmp*.c). A new kind of device
 * is one file here. Uses config/ and base/.
 */
#ifndef FACMON_COLLECTOR_H
#define FACMON_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/select.h>

#include "config/config.h"

/* The outcome of reading one point. */
enum fm_point_status {
	FM_POINT_OK,
	FM_POINT_FAILED, /* the request carrying it failed; value is meaningless */
	FM_POINT_ABSENT, /* a slot of a walked column holding no row (now) */
};

/* The row of a walked table column (`rows = "all"`) that one slot holds.
 * A slot keeps its row for the life of the collector: the row name is
 * stable, so alerts named after it are too. */
#define FM_ROW_NAME_MAX 32
#define FM_ROW_LABEL_MAX 64
struct fm_row {
	char name[FM_ROW_NAME_MAX];   /* "rack_3_top", or "" when no row yet */
	char index[FM_OID_MAX];       /* the instance suffix, "0" or "1.2" */
	char label[FM_ROW_LABEL_MAX]; /* the name column's text, or "" */
};

struct fm_point_value {
	enum fm_point_status status;
	double value;
};

/* One poll of one device. VALUES has one entry per device point. */
struct fm_poll_result {
	size_t device;               /* index of the device in the runtime */
	/* Not a poll: a trap arrived from the device (its name, e.g.
	 * "upsTrapOnBattery"); no values. The loop polls the device at once. */
	char trap[FM_NAME_MAX];
	struct fm_point_value *values;
	size_t nvalues;
	/* NULL, or one per value: the rows the slots of walked columns hold
	 * (only those entries are filled); the collector callocs it, and it
	 * is freed with the result */
	struct fm_row *rows;
	unsigned requests_ok;
	unsigned requests_failed;
	bool connection_lost;        /* the bus itself failed, not just a request */
	char error[FM_TEXT_MAX];     /* first failure, for logs and device state */
	/* Why the first failure happened, for explanations (probe/explain.h):
	 * a positive errno, libmodbus's for a Modbus read (an exception code
	 * past MODBUS_ENOBASE); 0 when not known (SNMP words it in ERROR).
	 * OPEN_FAILED: the bus could not be opened, and ERRNUM is the open's. */
	int errnum;
	bool open_failed;
};

struct fm_collector_ops {
	const char *kind;
	/* Builds the state for BUS serving DEVICES (all on that bus) and plans
	 * their reads. Nothing is opened yet. The state may keep pointers into
	 * BUS and DEVICES (their points): the config outlives the collector,
	 * since the worker is stopped (joined) before its config is freed. */
	int (*configure)(const struct fm_bus *bus,
	                 const struct fm_device *const *devices, size_t ndevices,
	                 void **state, char *err, size_t errlen);
	/* Opens the bus (connects): 0, or a negative errno saying why (ERR has
	 * the words). May fail; the worker retries with backoff. */
	int (*open)(void *state, char *err, size_t errlen);
	/* Reads every point of device number DEV (an index into the devices
	 * given to configure) into OUT->values. Returns 0 when at least one
	 * request succeeded, a negative code when none did. */
	int (*read)(void *state, size_t dev, struct fm_poll_result *out);
	void (*close)(void *state);
	/* Frees STATE; accepts NULL. */
	void (*release)(void *state);

	/* Asynchronous collectors (SNMP) leave read NULL and fill the four
	 * below instead: many devices in flight on the worker's one thread, so
	 * a dead agent delays nobody. The worker first calls attach() with
	 * where results go; start() sends the requests for device DEV and
	 * returns; when that poll is complete (answered, failed or timed out)
	 * the collector calls DONE(ARG, OUT) exactly once, from process(). It
	 * may also report traps through DONE, with a result it allocated with
	 * collector_result_new() and OUT->trap set. */
	void (*attach)(void *state, void (*done)(void *arg, struct fm_poll_result *out),
	               void *arg);
	void (*start)(void *state, size_t dev, struct fm_poll_result *out);
	void (*wait_set)(void *state, fd_set *rfds, int *maxfd, int *timeout_ms);
	/* After the wait: reads what arrived, handles timeouts, calls DONE. */
	void (*process)(void *state, fd_set *rfds);
};

/* A result for device DEV (the collector's own index, as in start()) with
 * NPOINTS values, all failed, allocated the way the worker frees results;
 * for collectors that report on their own (traps). NULL when out of memory.
 * While a collector holds a result, its ->device is that same local index;
 * the worker maps it to the agent's device when DONE hands it back. */
struct fm_poll_result *collector_result_new(size_t dev, size_t npoints);

/* The collector for a bus type, or NULL. */
const struct fm_collector_ops *collector_for_bus(enum fm_bus_type type);

#endif

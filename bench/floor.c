/* floor.c - facmon-bench-floor: the memory any agent built on facmon's
 * libraries starts from, before it does any work of its own.
 *
 * It links what the agent links (the same shared libraries, CMakeLists.txt)
 * and uses each library as little as an agent can: an MQTT client that is
 * never connected, the agent's store opened on an empty directory (its
 * SQLite database: schema, WAL, page cache), an SNMPv2c session that sends
 * nothing (net-snmp set up by the collector's own snmp_library_init: no
 * MIB files, no snmp.conf, no persistent state), a Modbus TCP context,
 * a parsed config, one JSON document and its SHA-256 (libmd), and
 * protobuf-c's version (Sparkplug's encoder). After each step it prints
 * its peak RSS and the anonymous and file-backed parts of its RSS, in KiB.
 *
 * bench/scale.py prints the last line next to the agents: it is the floor
 * under both facmon's and collectd's figures (bench/README.md). Not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <libconfig.h>
#include <modbus.h>
#include <mosquitto.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <protobuf-c/protobuf-c.h>
#include <sha2.h>

#include "collectors/snmp.h"
#include "store/store.h"

/* One /proc/self/status field, in KiB (-1 when missing). */
static long status_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	long kib = -1;
	size_t n = strlen(field);
	while (fgets(line, sizeof line, f))
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			kib = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}

static void report(const char *step)
{
	printf("%-40s %8ld %8ld %8ld\n", step, status_kib("VmHWM"), status_kib("RssAnon"),
	       status_kib("RssFile"));
}

static int mqtt_client(void)
{
	mosquitto_lib_init();
	struct mosquitto *m = mosquitto_new("facmon-bench-floor", true, NULL);
	if (!m)
		return -1;
	mosquitto_destroy(m);
	return 0;
}

/* The agent's store in a new directory under DIR, opened, closed and
 * removed again. */
static int store_in(const char *dir)
{
	char state[4096], err[256];
	snprintf(state, sizeof state, "%s/facmon-bench-floor.XXXXXX", dir);
	if (!mkdtemp(state))
		return -1;
	struct fm_store *st;
	int rc = store_open(state, &st, err, sizeof err);
	if (rc == 0)
		store_close(st);
	else
		fprintf(stderr, "facmon-bench-floor: %s\n", err);
	static const char *const files[] = {"facmon.db", "facmon.db-wal", "facmon.db-shm",
	                                    "seq.mark"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[4200];
		snprintf(path, sizeof path, "%s/%s", state, files[i]);
		unlink(path);
	}
	rmdir(state);
	return rc;
}

static int snmp_v2c_session(void)
{
	snmp_library_init(false);
	struct snmp_session tmpl;
	snmp_sess_init(&tmpl);
	tmpl.peername = "udp:127.0.0.1:161";
	tmpl.version = SNMP_VERSION_2c;
	tmpl.community = (u_char *)"public";
	tmpl.community_len = strlen("public");
	void *s = snmp_sess_open(&tmpl);
	if (!s)
		return -1;
	snmp_sess_close(s);
	return 0;
}

static int the_rest(void)
{
	modbus_t *mb = modbus_new_tcp("127.0.0.1", 502);
	if (!mb)
		return -1;
	modbus_free(mb);
	config_t c;
	config_init(&c);
	int ok = config_read_string(&c, "agent = { name = \"floor\"; };") == CONFIG_TRUE;
	config_destroy(&c);
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "value", 23.5);
	char *text = cJSON_PrintUnformatted(j);
	ok = ok && text && protobuf_c_version_number() > 0;
	if (text) {
		char digest[SHA256_DIGEST_STRING_LENGTH];
		SHA256Data((const uint8_t *)text, strlen(text), digest);
	}
	free(text);
	cJSON_Delete(j);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	printf("%-40s %8s %8s %8s\n", "step (KiB)", "VmHWM", "RssAnon", "RssFile");
	report("the libraries, loaded");
	if (mqtt_client() < 0) {
		fprintf(stderr, "facmon-bench-floor: mosquitto_new failed\n");
		return 1;
	}
	report("+ an MQTT client, not connected");
	if (store_in(dir) < 0) {
		fprintf(stderr, "facmon-bench-floor: the store in %s failed\n", dir);
		return 1;
	}
	report("+ the store (SQLite) opened");
	if (snmp_v2c_session() < 0) {
		fprintf(stderr, "facmon-bench-floor: snmp_sess_open failed\n");
		return 1;
	}
	report("+ an SNMPv2c session, nothing sent");
	if (the_rest() < 0) {
		fprintf(stderr, "facmon-bench-floor: libmodbus, libconfig or cJSON failed\n");
		return 1;
	}
	report("+ Modbus, a config, JSON, SHA-256");
	return 0;
}

/* snmp.h - the SNMP collector that snmp.c implements and registry.c
 * registers for the implicit "snmp" bus every SNMP device is on. It is an
 * asynchronous collector (collector.h: attach/start/wait_set/process).
 */
#ifndef FACMON_SNMP_H
#define FACMON_SNMP_H

#include <stdbool.h>

#include "collectors/collector.h"

extern const struct fm_collector_ops snmp_collector;

/* Sets up net-snmp, as little of it as the devices need (the collector
 * calls it; bench/floor.c too, to measure the same): its log goes to ours,
 * and it reads no snmp.conf, no MIB file and no persistent state (our OIDs
 * are numeric). Its full initialisation, init_snmp(), also sets up SNMPv3's
 * user-based security and with it OpenSSL's default provider, about 2 MiB
 * resident: that is done only when USM is true, once a device or the trap
 * listener uses SNMPv3. v1 and v2c sessions need only what snmp_open()
 * sets up on its own. Repeated calls do nothing more. */
void snmp_library_init(bool usm);

#endif

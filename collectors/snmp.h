/* snmp.h - the SNMP collector that snmp.c implements and registry.c
 * registers for the implicit "snmp" bus every SNMP device is on. It is an
 * asynchronous collector (collector.h: attach/start/wait_set/process).
 */
#ifndef FACMON_SNMP_H
#define FACMON_SNMP_H

#include "collectors/collector.h"

extern const struct fm_collector_ops snmp_collector;

#endif

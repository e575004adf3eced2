/* modbus.h - the Modbus collectors that modbus.c implements and registry.c
 * registers: one for modbus-tcp buses (a device or a TCP gateway in front
 * of an RS-485 line), one for modbus-rtu buses (a serial line). Everything
 * else about them is the fm_collector_ops contract in collector.h.
 */
#ifndef FACMON_MODBUS_H
#define FACMON_MODBUS_H

#include "collectors/collector.h"

extern const struct fm_collector_ops modbus_tcp_collector;
extern const struct fm_collector_ops modbus_rtu_collector;

#endif

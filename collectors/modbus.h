/* modbus.h - the Modbus TCP collector.
 *
 * Owns: nothing but the name of the collector that modbus.c implements and
 * registry.c registers for FM_BUS_MODBUS_TCP. Everything else about it is
 * the fm_collector_ops contract in collector.h.
 */
#ifndef FACMON_MODBUS_H
#define FACMON_MODBUS_H

#include "collectors/collector.h"

extern const struct fm_collector_ops modbus_tcp_collector;

#endif

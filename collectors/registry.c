/* registry.c - which collector serves which kind of bus.
 *
 * Owns: collector_for_bus(), a table indexed by enum fm_bus_type. A new
 * kind of bus is one line here and a file of its own.
 */
#include "collectors/collector.h"
#include "collectors/modbus.h"
#include "collectors/snmp.h"

static const struct fm_collector_ops *const collectors[] = {
	[FM_BUS_MODBUS_TCP] = &modbus_tcp_collector,
	[FM_BUS_MODBUS_RTU] = &modbus_rtu_collector,
	[FM_BUS_SNMP] = &snmp_collector,
};

const struct fm_collector_ops *collector_for_bus(enum fm_bus_type type)
{
	if ((unsigned)type >= sizeof collectors / sizeof collectors[0])
		return NULL;
	return collectors[type];
}

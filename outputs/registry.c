/* registry.c - which outputs there are.
 *
 * Owns: output_registry, the outputs beyond facmon's own MQTT topics, in
 * the order they are started and told. A new output is one file of its
 * own filling a struct output_ops (output.h) and one line here.
 */
#include "outputs/output.h"

extern const struct output_ops output_alertmanager;
extern const struct output_ops output_exec;
extern const struct output_ops output_homeassistant;
extern const struct output_ops output_sparkplug;
extern const struct output_ops output_http;

const struct output_ops *const output_registry[] = {
	&output_alertmanager,
	&output_exec,
	&output_homeassistant,
	&output_sparkplug,
	&output_http,
	NULL,
};

/* load_outputs.c - the `outputs` group: who else is told.
 *
 * Owns: parsing and checking each output's group (exec, homeassistant,
 * sparkplug) into struct fm_outputs_conf, one function per output. Every
 * part is optional and off unless its group is there; a group that is there is
 * on unless it says enabled = false. The outputs themselves live in
 * outputs/, one file each.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/load_private.h"

static const char *const outputs_keys[] = {
	"alertmanager", "exec", "homeassistant", "sparkplug", "http", NULL,
};
static const char *const alertmanager_keys[] = {
	"url", "timeout_ms", "resend", "min_firing", NULL,
};
static const char *const exec_keys[] = { "command", "timeout", NULL };
static const char *const homeassistant_keys[] = { "enabled", "prefix", NULL };
static const char *const sparkplug_keys[] = { "enabled", "group", NULL };
static const char *const http_keys[] = { "enabled", "listen", NULL };

/* The output group KEY of G, checked against KNOWN; NULL when absent. */
static const config_setting_t *output_group(struct conf__ctx *c, const config_setting_t *g,
                                            const char *key, const char *const *known,
                                            char *path, size_t pathlen)
{
	snprintf(path, pathlen, "outputs.%s", key);
	const config_setting_t *o = config_setting_get_member(g, key);
	if (!o || !conf__expect(c, o, path, CONFIG_TYPE_GROUP))
		return NULL;
	conf__known_keys(c, o, path, known);
	return o;
}

/* "http://host[:port][/path]" or https. */
static bool url_valid(const char *url)
{
	const char *rest = strncmp(url, "http://", 7) == 0    ? url + 7
	                   : strncmp(url, "https://", 8) == 0 ? url + 8
	                                                      : NULL;
	return rest && rest[0] && rest[0] != '/' && !strpbrk(url, " \t\r\n\"<>\\^`{|}");
}

static void take_url(struct conf__ctx *c, const config_setting_t *s, const char *path,
                     struct fm_alertmanager_conf *am)
{
	const char *url = config_setting_get_string(s);
	if (!url)
		conf__error(c, s, "%s: expected a string (\"http://127.0.0.1:9093\")", path);
	else if (!url_valid(url))
		conf__error(c, s, "%s: '%s' is not an http:// or https:// URL of an "
		            "Alertmanager (\"http://127.0.0.1:9093\")", path, url);
	else if (strlen(url) >= sizeof am->urls[0])
		conf__error(c, s, "%s: longer than %zu bytes", path, sizeof am->urls[0] - 1);
	else if (am->nurls == FM_AM_URLS_MAX)
		conf__error(c, s, "%s: at most %d Alertmanagers", path, FM_AM_URLS_MAX);
	else
		snprintf(am->urls[am->nurls++], sizeof am->urls[0], "%s", url);
}

/* url: one URL, or a list of them (an Alertmanager cluster: each gets
 * every alert, as Prometheus does). */
static void parse_alertmanager(struct conf__ctx *c, const config_setting_t *g,
                               struct fm_alertmanager_conf *am)
{
	char path[CONF_PATH_MAX], item[CONF_PATH_MAX + 16];
	const config_setting_t *o = output_group(c, g, "alertmanager", alertmanager_keys,
	                                         path, sizeof path);
	if (!o)
		return;
	const config_setting_t *url = conf__member(c, o, path, "url", true);
	if (url && (config_setting_is_array(url) || config_setting_is_list(url))) {
		int n = config_setting_length(url);
		if (n == 0)
			conf__error(c, url, "%s.url: an empty list; give at least one URL", path);
		for (int i = 0; i < n; i++) {
			snprintf(item, sizeof item, "%s.url[%d]", path, i);
			take_url(c, config_setting_get_elem(url, (unsigned)i), item, am);
		}
	} else if (url) {
		snprintf(item, sizeof item, "%s.url", path);
		take_url(c, url, item, am);
	}
	conf__int(c, o, path, "timeout_ms", false, 100, 60000, &am->timeout_ms);
	conf__int(c, o, path, "resend", false, 10, 3600, &am->resend);
	conf__int(c, o, path, "min_firing", false, 0, 600, &am->min_firing);
}

static void parse_exec(struct conf__ctx *c, const config_setting_t *g,
                       struct fm_exec_conf *ex)
{
	char path[CONF_PATH_MAX];
	const config_setting_t *o = output_group(c, g, "exec", exec_keys, path, sizeof path);
	if (!o)
		return;
	char cmd[sizeof ex->command];
	if (conf__string(c, o, path, "command", true, cmd, sizeof cmd) == CONF_OK) {
		const config_setting_t *s = config_setting_get_member(o, "command");
		if (cmd[0] != '/')
			conf__error(c, s, "%s.command: '%s' is not an absolute path (it is run "
			            "without a shell: \"/usr/local/bin/page\")", path, cmd);
		else if (access(cmd, X_OK) != 0)
			conf__error(c, s, "%s.command: %s: cannot be run: %s", path, cmd,
			            strerror(errno));
		else
			memcpy(ex->command, cmd, sizeof cmd);
	}
	conf__int(c, o, path, "timeout", false, 1, 300, &ex->timeout);
}

/* A topic prefix: not empty, no wildcard, no / at either end. */
static bool topic_prefix_valid(const char *p)
{
	size_t n = strlen(p);
	return n > 0 && !strpbrk(p, "+#") && p[0] != '/' && p[n - 1] != '/';
}

static void parse_homeassistant(struct conf__ctx *c, const config_setting_t *g,
                                struct fm_homeassistant_conf *ha)
{
	char path[CONF_PATH_MAX];
	const config_setting_t *o = output_group(c, g, "homeassistant", homeassistant_keys,
	                                         path, sizeof path);
	if (!o)
		return;
	ha->enabled = true;
	conf__bool(c, o, path, "enabled", false, &ha->enabled);
	if (conf__string(c, o, path, "prefix", false, ha->prefix, sizeof ha->prefix) ==
	            CONF_OK && !topic_prefix_valid(ha->prefix))
		conf__error(c, config_setting_get_member(o, "prefix"), "%s.prefix: '%s' is not "
		            "a topic prefix (not empty, no + or #, no / at either end: "
		            "\"homeassistant\")", path, ha->prefix);
}

/* group: the Sparkplug group id; the edge node id is agent.name. */
static void parse_sparkplug(struct conf__ctx *c, const config_setting_t *g,
                            struct fm_sparkplug_conf *sp)
{
	char path[CONF_PATH_MAX];
	const config_setting_t *o = output_group(c, g, "sparkplug", sparkplug_keys, path,
	                                         sizeof path);
	if (!o)
		return;
	sp->enabled = true;
	conf__bool(c, o, path, "enabled", false, &sp->enabled);
	conf__name(c, o, path, "group", sp->enabled, CONF_NAME, sp->group);
}

/* "ADDRESS:PORT" into H: an IPv4 address, or an IPv6 one in brackets
 * ("[::1]:9707"); numeric, since the output binds to that address alone.
 * False when LISTEN is not that. */
static bool split_listen(const char *listen, struct fm_http_conf *h)
{
	const char *colon = strrchr(listen, ':');
	if (!colon || colon == listen || !colon[1])
		return false;
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (*end || errno || port < 1 || port > 65535)
		return false;
	const char *host = listen;
	size_t len = (size_t)(colon - listen);
	bool v6 = host[0] == '[';
	if (v6 && (len < 3 || host[len - 1] != ']'))
		return false;
	if (v6) {
		host++;
		len -= 2;
	}
	char addr[sizeof h->host];
	unsigned char bin[sizeof(struct in6_addr)];
	if (len >= sizeof addr)
		return false;
	memcpy(addr, host, len);
	addr[len] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, bin) != 1)
		return false;
	memcpy(h->host, addr, len + 1);
	h->port = (int)port;
	return true;
}

/* The HTTP endpoint: on unless enabled = false; 127.0.0.1:9707 unless
 * listen says otherwise. */
static void parse_http(struct conf__ctx *c, const config_setting_t *g,
                       struct fm_http_conf *h)
{
	char path[CONF_PATH_MAX], listen[FM_TEXT_MAX];
	const config_setting_t *o = output_group(c, g, "http", http_keys, path, sizeof path);
	if (!o)
		return;
	h->enabled = true;
	conf__bool(c, o, path, "enabled", false, &h->enabled);
	if (conf__string(c, o, path, "listen", false, listen, sizeof listen) == CONF_OK &&
	    !split_listen(listen, h))
		conf__error(c, config_setting_get_member(o, "listen"), "%s.listen: '%s' is not "
		            "ADDRESS:PORT with a numeric address (\"127.0.0.1:9707\", "
		            "\"[::1]:9707\")", path, listen);
}

void conf__parse_outputs(struct conf__state *st, const config_setting_t *root)
{
	struct conf__ctx *c = &st->ctx;
	struct fm_outputs_conf *o = &st->cfg->outputs;
	*o = (struct fm_outputs_conf){
		.alertmanager = {.timeout_ms = 5000, .resend = 60, .min_firing = 35},
		.exec = {.timeout = 10},
		.homeassistant = {.prefix = "homeassistant"},
		.http = {.host = "127.0.0.1", .port = 9707},
	};
	const config_setting_t *g = config_setting_get_member(root, "outputs");
	if (!g || !conf__expect(c, g, "outputs", CONFIG_TYPE_GROUP))
		return;
	conf__known_keys(c, g, "outputs", outputs_keys);
	parse_alertmanager(c, g, &o->alertmanager);
	parse_exec(c, g, &o->exec);
	parse_homeassistant(c, g, &o->homeassistant);
	parse_sparkplug(c, g, &o->sparkplug);
	parse_http(c, g, &o->http);
}

/* load_outputs.c - the `outputs` group: who else is told.
 *
 * Owns: parsing and checking each output's group into struct
 * fm_outputs_conf, one function per output. Every part
 * is optional and off unless its group is there; a group that is there is
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

static const char *const outputs_keys[] = { "exec", "http", NULL };
static const char *const exec_keys[] = { "command", "timeout", NULL };
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
		.alertmanager = {.timeout_ms = 5000, .resend = 60},
		.exec = {.timeout = 10},
		.homeassistant = {.prefix = "homeassistant"},
		.http = {.host = "127.0.0.1", .port = 9707},
	};
	const config_setting_t *g = config_setting_get_member(root, "outputs");
	if (!g || !conf__expect(c, g, "outputs", CONFIG_TYPE_GROUP))
		return;
	conf__known_keys(c, g, "outputs", outputs_keys);
	parse_exec(c, g, &o->exec);
	parse_http(c, g, &o->http);
}

/* load.c - config_load(): from a libconfig file to a validated fm_config.
 *
 * Owns: the order of the passes and the lifetime of what they build. The
 * file is read once; each section is parsed into structs (load_sections.c,
 * load_devices.c, load_rules.c), then the cross-checks run (validate.c),
 * then libconfig's tree is destroyed. Nothing outside config/ ever sees
 * libconfig. A config with any error is freed and NULL returned, so a
 * caller (a SIGHUP reload, say) only ever swaps in a config that is whole;
 * warnings are told and leave the config usable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/load_private.h"

static const char *const top_keys[] = {
	"agent", "mqtt", "buses", "devices", "rules", "snmp_traps", "silences", "outputs", NULL,
};

/* 0, or why PATH cannot be read as a file. Checked up front because
 * libconfig reports every open failure as "file I/O error". */
static int file_unreadable(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return errno;
	struct stat sb;
	int err = fstat(fileno(f), &sb) != 0 ? errno : S_ISDIR(sb.st_mode) ? EISDIR : 0;
	fclose(f);
	return err;
}

int conf__read_file(struct conf__ctx *c, config_t *lc, const char *path)
{
	int err = file_unreadable(path);
	if (err) {
		diags_add(c->diags, path, 0, "cannot read: %s", strerror(err));
		return -1;
	}

	config_init(lc);
	if (config_read_file(lc, path))
		return 0;
	const char *file = config_error_file(lc);
	diags_add(c->diags, file ? file : path, config_error_line(lc), "%s",
	          config_error_text(lc));
	config_destroy(lc);
	return -1;
}

static void default_client_id(struct fm_config *cfg)
{
	struct fm_mqtt_conf *m = &cfg->mqtt;
	if (m->client_id[0] || !cfg->agent.site[0] || !cfg->agent.name[0])
		return;
	snprintf(m->client_id, sizeof(m->client_id), "facmon-%s-%s",
	         cfg->agent.site, cfg->agent.name);
}

static void parse_all(struct conf__state *st, const config_setting_t *root,
                      const char *path)
{
	st->root = root;
	conf__known_keys(&st->ctx, root, "", top_keys);
	conf__check_strings(&st->ctx, root, "");
	conf__parse_agent(st, root, path);
	conf__parse_mqtt(st, root);
	default_client_id(st->cfg);
	conf__parse_buses(st, root);
	conf__parse_devices(st, root);
	conf__parse_rules(st, root);
	conf__parse_traps(st, root);
	conf__parse_silences(st, root);
	conf__parse_outputs(st, root);
	conf__validate(st);
}

static void state_free(struct conf__state *st)
{
	for (size_t i = 0; st->devs && i < st->cfg->ndevices; i++)
		free(st->devs[i].own);
	free(st->devs);
	free(st->rules);
}

struct fm_config *config_load(const char *path, struct fm_diags *diags)
{
	size_t before = diags_errors(diags);
	struct fm_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg || !(cfg->path = strdup(path))) {
		diags_add(diags, path, 0, "out of memory");
		free(cfg);
		return NULL;
	}

	struct conf__state st = {
		.ctx = { .diags = diags, .files = &cfg->files, .nfiles = &cfg->nfiles,
		         .pool = &cfg->pool },
		.cfg = cfg,
	};
	config_t lc;
	if (conf__read_file(&st.ctx, &lc, path) == 0) {
		parse_all(&st, config_root_setting(&lc), path);
		config_destroy(&lc);
	}
	state_free(&st);
	conf__ctx_done(&st.ctx);

	if (diags_errors(diags) == before)
		return cfg; /* with its warnings, if any, in DIAGS */
	config_free(cfg);
	return NULL;
}

void config_free(struct fm_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->ndevices; i++)
		free(cfg->devices[i].points);
	free(cfg->devices);
	free(cfg->buses);
	free(cfg->rules);
	free(cfg->silences);
	for (size_t i = 0; i < cfg->nfiles; i++)
		free(cfg->files[i]);
	free(cfg->files);
	free(cfg->path);
	pool_free(&cfg->pool);
	free(cfg);
}

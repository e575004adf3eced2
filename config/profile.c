/* profile.c - device profiles: one file of points per device model.
 *
 * Owns: reading <profile_dir>/<name>.cfg into a list of points. A profile
 * is its own file, so its problems name that file and its lines, not the
 * device that uses it. The format:
 *
 *   profile = {
 *     model = "...";          # required: what hardware this describes
 *     manufacturer = "...";   # optional: who makes it
 *     source = "...";         # optional: where the register map came from
 *     points = ( {...}, ... );  # at least one; same keys as a device's points
 *   };
 *
 * A profile is for Modbus devices or for SNMP devices, and its points tell
 * which: SNMP points have an oid. The loader refuses a device whose profile
 * is of the other kind.
 */
#include <stdio.h>
#include <stdlib.h>

#include "config/load_private.h"

static const char *const profile_file_keys[] = { "profile", NULL };
static const char *const profile_keys[] = { "model", "manufacturer", "source", "points", NULL };

static void parse_profile(struct conf__ctx *c, const config_setting_t *root,
                          struct fm_point **points, size_t *npoints,
                          struct fm_profile_about *about)
{
	conf__known_keys(c, root, "", profile_file_keys);
	conf__check_strings(c, root, "");
	const config_setting_t *g = conf__member(c, root, "", "profile", true);
	if (!g || !conf__expect(c, g, "profile", CONFIG_TYPE_GROUP))
		return;
	conf__known_keys(c, g, "profile", profile_keys);

	struct fm_profile_about got = { 0 };
	char text[FM_TEXT_MAX];
	conf__string(c, g, "profile", "model", true, got.model, sizeof(got.model));
	conf__string(c, g, "profile", "manufacturer", false, got.manufacturer,
	             sizeof(got.manufacturer));
	conf__string(c, g, "profile", "source", false, text, sizeof(text));
	if (about)
		*about = got;

	const config_setting_t *list = conf__member(c, g, "profile", "points", true);
	if (!list)
		return;
	if (conf__parse_points(c, list, "profile.points", CONF_POINTS_ANY, points,
	                       npoints) && *npoints == 0)
		conf__error(c, list, "profile.points: a profile needs at least one point");
}

/* Loads DIR/NAME.cfg's points with OWNER's diags, files and pool. */
int conf__load_profile(const struct conf__ctx *owner, const char *profile_dir,
                       const char *profile, struct fm_point **points, size_t *npoints,
                       struct fm_profile_about *about)
{
	struct conf__ctx c = { .diags = owner->diags, .files = owner->files,
	                       .nfiles = owner->nfiles, .pool = owner->pool };
	struct fm_diags *diags = owner->diags;
	size_t before = diags->count;

	*points = NULL;
	*npoints = 0;
	if (!conf__name_valid(profile, CONF_NAME_LOWER)) {
		diags_add(diags, profile_dir, 0, "'%s' is not a valid profile name "
		          "(1-%d of a-z 0-9 _ -)", profile, FM_NAME_MAX - 1);
		return -1;
	}
	char path[FM_TEXT_MAX + FM_NAME_MAX + 8];
	snprintf(path, sizeof(path), "%s/%s.cfg", profile_dir, profile);

	config_t lc;
	if (conf__read_file(&c, &lc, path) != 0)
		return -1;
	parse_profile(&c, config_root_setting(&lc), points, npoints, about);
	config_destroy(&lc);
	conf__ctx_done(&c);

	if (diags->count == before)
		return 0;
	free(*points);
	*points = NULL;
	*npoints = 0;
	return -1;
}

int config_profile_load(const char *profile_dir, const char *name, struct fm_profile *out,
                        struct fm_diags *diags)
{
	*out = (struct fm_profile){0};
	struct conf__ctx owner = { .diags = diags, .files = &out->files,
	                           .nfiles = &out->nfiles, .pool = &out->pool };
	if (conf__load_profile(&owner, profile_dir, name, &out->points, &out->npoints,
	                       &out->about) == 0)
		return 0;
	config_profile_free(out);
	return -1;
}

void config_profile_free(struct fm_profile *p)
{
	free(p->points);
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	free(p->files);
	pool_free(&p->pool);
	*p = (struct fm_profile){0};
}

/* main.c - the `facmon` command line: subcommands, options and --help.
 *
 * Owns: argument parsing and exit statuses (docs/reference.md: commands). The work
 * of each subcommand lives elsewhere: run.c, once.c, history.c, report.c,
 * the config loader.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/history.h"
#include "agent/report.h"
#include "base/clock.h"
#include "probe/probe.h"
#include "agent/run.h"
#include "config/config.h"
#include "report/report.h"

#define DEFAULT_CONFIG "/etc/facmon/facmon.cfg"

enum { EXIT_INVALID = 1, EXIT_USAGE = 2 };

static const char usage_main[] =
	"Usage: facmon COMMAND [OPTIONS]\n"
	"\n"
	"Monitors a server room's sensors and facility equipment over Modbus\n"
	"(RTU and TCP) and SNMP, and publishes telemetry and alerts over MQTT.\n"
	"\n"
	"Commands:\n"
	"  run      run the agent until SIGTERM/SIGINT; SIGHUP rereads the config\n"
	"  check    validate the config; print FILE:LINE: message per problem\n"
	"  once     poll every device once; print readings, states and rule verdicts\n"
	"  probe    read one device ad hoc: Modbus registers, SNMP OIDs, a profile,\n"
	"           a scan of the unit ids on a line\n"
	"  history  print the stored events (--since, --from, --until, --rule, --type,\n"
	"           --control, --json, --csv)\n"
	"  verify   re-check the hash chain over the stored events\n"
	"  report   the monthly evidence report per control ID (--month, --format,\n"
	"           -o): HTML, CSV or JSON\n"
	"\n"
	"Options common to every command:\n"
	"  -c, --config FILE   config file (default " DEFAULT_CONFIG ")\n"
	"  -h, --help          help for the command\n"
	"\n"
	"Run 'facmon COMMAND --help' for a command's options, 'facmon --version'\n"
	"for the version.\n";

static const char usage_run[] =
	"Usage: facmon run [-c FILE]\n"
	"\n"
	"Runs the agent: polls every device at its interval, evaluates the rules and\n"
	"publishes to the MQTT broker named in the config. Logs go to stderr.\n"
	"Stops cleanly on SIGTERM or SIGINT (exit 0); exits 1 if the config is invalid.\n";

static const char usage_check[] =
	"Usage: facmon check [-c FILE]\n"
	"\n"
	"Validates the config and the device profiles it uses. Prints every problem\n"
	"as FILE:LINE: message on stderr and exits 1, or prints a one-line summary\n"
	"and exits 0. Warnings (FILE:LINE: warning: message, such as a control ID\n"
	"facmon does not know) are printed too and leave the config valid.\n";

static const char usage_once[] =
	"Usage: facmon once [-c FILE] [--json]\n"
	"\n"
	"Polls every device once and prints each reading, each device's state and\n"
	"what every rule would do. Nothing is published.\n"
	"  --json   print one JSON document instead of tables\n"
	"Exit status: 0 all devices answered, 3 some did not, 1 config invalid.\n";

static const char usage_history[] =
	"Usage: facmon history [-c FILE] [--since DURATION | --from TIME] [--until TIME]\n"
	"                      [--rule NAME] [--type TYPE] [--control ID] [--json | --csv]\n"
	"\n"
	"Prints the events stored in <state_dir>/facmon.db, oldest first: every alert\n"
	"transition and acknowledgement, operators' silences, the agent's starts and\n"
	"stops, config reloads, refused commands and store resets, kept\n"
	"agent.history_days (default 90). Reads the database only, so it is safe while\n"
	"the agent runs.\n"
	"  --since DURATION   only the last 90s, 30m, 12h, 7d, 2w, ...\n"
	"  --from TIME        only events at or after TIME, UTC: 2026-11-01,\n"
	"                     2026-11-01T08:30, 2026-11-01T08:30:15Z\n"
	"  --until TIME       only events before TIME (the same forms)\n"
	"  --rule NAME        only this rule; a shell pattern (\"room-*\") matches several\n"
	"  --type TYPE        only transition, ack, silence, agent, config, command or\n"
	"                     store events\n"
	"  --control ID       only events that carry this control ID (\"設46\", \"8.16\")\n"
	"  --json             a JSON array: seq, ts, type, rule, from, to and the event\n"
	"  --csv              CSV with a header: seq, ts, type, rule, from, to, severity,\n"
	"                     value, controls, hash\n"
	"Exit status: 0 (also when there are no events), 1 config invalid or database\n"
	"missing or unreadable, 2 usage error.\n";

static const char usage_verify[] =
	"Usage: facmon verify [-c FILE]\n"
	"\n"
	"Re-checks the hash chain over the events stored in <state_dir>/facmon.db:\n"
	"every event's hash, its link to the event before it, and its row against\n"
	"its document. Reads the database only, so it is safe while the agent runs.\n"
	"Exit status: 0 the chain is intact (one line says what was checked), 1 it\n"
	"is not (the first seq that does not verify, and why), or the config is\n"
	"invalid or the database missing or unreadable; 2 usage error.\n";

static const char usage_report[] =
	"Usage: facmon report --month YYYY-MM [--format html|csv|json] [-o FILE] [-c FILE]\n"
	"\n"
	"Writes the evidence report of one month from <state_dir>/facmon.db: one\n"
	"section per control ID the config uses (the rules and built-in alerts that\n"
	"cover it, the monitoring availability of their devices, every alert with its\n"
	"times to detect, acknowledge and resolve, the silences that covered them),\n"
	"and for the month the agent's downtime, the clock's synchronisation, the\n"
	"config changes and the hash chain's verdict. Times in UTC and in the local\n"
	"time zone (TZ). Reads the database only, so it is safe while the agent runs.\n"
	"A month not over yet is reported up to the start of the current hour.\n"
	"  --month YYYY-MM   the month, UTC (required)\n"
	"  --format FORMAT   html (default: one self-contained file that prints on A4),\n"
	"                    csv (tables, each row led by its table's name) or json\n"
	"  -o, --output FILE write FILE (replaced whole) instead of stdout\n"
	"Availability = polls with valid data / polls scheduled over the month at the\n"
	"device's interval; time the agent was not running counts as unavailable.\n"
	"Exit status: 0 written (also when the chain is broken: the report says so),\n"
	"1 config invalid, database missing or unreadable, or the output not written,\n"
	"2 usage error.\n";

/* Which options beyond -c and --help a command takes. */
enum { OPT_JSON = 1, OPT_FILTER = 2, OPT_REPORT = 4 };

struct cli {
	const char *config;
	bool json;
	bool csv;           /* OPT_FILTER */
	const char *since;  /* OPT_FILTER */
	const char *from;   /* OPT_FILTER */
	const char *until;  /* OPT_FILTER */
	const char *rule;   /* OPT_FILTER */
	const char *type;   /* OPT_FILTER */
	const char *control; /* OPT_FILTER */
	const char *month;  /* OPT_REPORT */
	const char *format; /* OPT_REPORT */
	const char *output; /* OPT_REPORT */
};

/* Takes option C if the command allows it; false if it does not. */
static bool take_option(int c, unsigned allowed, struct cli *cli)
{
	bool filter = allowed & OPT_FILTER;
	if (c == 'j' && (allowed & OPT_JSON))
		cli->json = true;
	else if (c == 'v' && filter)
		cli->csv = true;
	else if (c == 's' && filter)
		cli->since = optarg;
	else if (c == 'f' && filter)
		cli->from = optarg;
	else if (c == 'u' && filter)
		cli->until = optarg;
	else if (c == 'r' && filter)
		cli->rule = optarg;
	else if (c == 't' && filter)
		cli->type = optarg;
	else if (c == 'k' && filter)
		cli->control = optarg;
	else if (c == 'm' && (allowed & OPT_REPORT))
		cli->month = optarg;
	else if (c == 'F' && (allowed & OPT_REPORT))
		cli->format = optarg;
	else if (c == 'o' && (allowed & OPT_REPORT))
		cli->output = optarg;
	else if (c == 'c')
		cli->config = optarg;
	else
		return false;
	return true;
}

/* Parses the options after the command; returns -1 after printing help or
 * an error (*EXIT_CODE says which). */
static int parse_options(int argc, char **argv, const char *usage, unsigned allowed,
                         struct cli *cli, int *exit_code)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"csv", no_argument, NULL, 'v'},
		{"since", required_argument, NULL, 's'},
		{"from", required_argument, NULL, 'f'},
		{"until", required_argument, NULL, 'u'},
		{"rule", required_argument, NULL, 'r'},
		{"type", required_argument, NULL, 't'},
		{"control", required_argument, NULL, 'k'},
		{"month", required_argument, NULL, 'm'},
		{"format", required_argument, NULL, 'F'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:ho:", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			*exit_code = 0;
			return -1;
		}
		if (!take_option(c, allowed, cli)) {
			fputs(usage, stderr);
			*exit_code = EXIT_USAGE;
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "facmon: unexpected argument '%s'\n%s", argv[optind], usage);
		*exit_code = EXIT_USAGE;
		return -1;
	}
	return 0;
}

/* Problems in file order, as a compiler lists them; cross-checks found
 * after parsing would otherwise come last. */
static int diag_order(const void *a, const void *b)
{
	const struct fm_diag *x = *(const struct fm_diag *const *)a;
	const struct fm_diag *y = *(const struct fm_diag *const *)b;
	int c = strcmp(x->file, y->file);
	if (c == 0)
		c = (x->line > y->line) - (x->line < y->line);
	return c != 0 ? c : (x > y) - (x < y);
}

static void print_diags(const struct fm_diags *d)
{
	const struct fm_diag **sorted = calloc(d->count + 1, sizeof *sorted);
	for (size_t i = 0; sorted && i < d->count; i++)
		sorted[i] = &d->items[i];
	if (sorted)
		qsort(sorted, d->count, sizeof *sorted, diag_order);
	for (size_t i = 0; i < d->count; i++) {
		const struct fm_diag *g = sorted ? sorted[i] : &d->items[i];
		const char *label = g->severity == FM_DIAG_WARNING ? "warning: " : "";
		if (g->line > 0)
			fprintf(stderr, "%s:%d: %s%s\n", g->file, g->line, label, g->message);
		else
			fprintf(stderr, "%s: %s%s\n", g->file, label, g->message);
	}
	free(sorted);
}

/* Loads the config, printing problems (warnings too: a valid config may
 * have some); NULL if it is invalid. */
static struct fm_config *load_or_report(const char *path)
{
	struct fm_diags diags = {0};
	struct fm_config *cfg = config_load(path, &diags);
	print_diags(&diags);
	size_t errors = diags_errors(&diags), warnings = diags.count - errors;
	if (!cfg && warnings)
		fprintf(stderr, "%s: %zu problem%s found, and %zu warning%s\n", path, errors,
		        errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
	else if (!cfg)
		fprintf(stderr, "%s: %zu problem%s found\n", path, errors,
		        errors == 1 ? "" : "s");
	diags_free(&diags);
	return cfg;
}

/* Points as configured: a walked column counts once, not per slot. */
static size_t count_points(const struct fm_config *cfg)
{
	size_t n = 0;
	for (size_t i = 0; i < cfg->ndevices; i++)
		for (size_t p = 0; p < cfg->devices[i].npoints; p++)
			n += cfg->devices[i].points[p].slot <= 1;
	return n;
}

static int cmd_check(const struct cli *cli)
{
	struct fm_config *cfg = load_or_report(cli->config);
	if (!cfg)
		return EXIT_INVALID;
	size_t nbuses = config_count_buses(cfg);
	printf("%s: OK: site %s, gateway %s: %zu bus%s, %zu device%s, %zu points, "
	       "%zu rule%s\n", cli->config, cfg->agent.site, cfg->agent.name,
	       nbuses, nbuses == 1 ? "" : "es", cfg->ndevices,
	       cfg->ndevices == 1 ? "" : "s", count_points(cfg), cfg->nrules,
	       cfg->nrules == 1 ? "" : "s");
	config_free(cfg);
	return 0;
}

static int cmd_run(const struct cli *cli)
{
	struct fm_config *cfg = load_or_report(cli->config);
	if (!cfg)
		return EXIT_INVALID;
	return agent_run(cfg); /* it owns cfg now */
}

static int cmd_once(const struct cli *cli)
{
	struct fm_config *cfg = load_or_report(cli->config);
	if (!cfg)
		return EXIT_INVALID;
	int rc = agent_once(cfg, cli->json);
	config_free(cfg);
	return rc;
}

/* A usage error of `facmon COMMAND`: the message, and where help is. */
__attribute__((format(printf, 2, 3))) static int usage_error(const char *command,
                                                             const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "facmon %s: ", command);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun 'facmon %s --help' for its options.\n", command);
	return EXIT_USAGE;
}

/* The options of `facmon history` into O; 0, or a usage error's status. */
static int history_options(const struct cli *cli, struct history_opts *o)
{
	*o = (struct history_opts){.json = cli->json, .csv = cli->csv, .rule = cli->rule,
	                           .type = cli->type, .control = cli->control};
	const char *cmd = "history";
	if (cli->json && cli->csv)
		return usage_error(cmd, "--json and --csv: choose one");
	if (cli->since && cli->from)
		return usage_error(cmd, "--since and --from: choose one");
	if (cli->since && history_parse_duration(cli->since, &o->since_ms) < 0)
		return usage_error(cmd, "--since '%s': expected a whole number and a unit s, m, "
		                   "h, d or w (90s, 30m, 12h, 7d, 2w)", cli->since);
	o->has_since = cli->since != NULL;
	if (cli->from && history_parse_time(cli->from, &o->from_ms) < 0)
		return usage_error(cmd, "--from '%s': expected a UTC date or time: 2026-11-01, "
		                   "2026-11-01T08:30 or 2026-11-01T08:30:15Z", cli->from);
	if (cli->until && history_parse_time(cli->until, &o->until_ms) < 0)
		return usage_error(cmd, "--until '%s': expected a UTC date or time: 2026-12-01, "
		                   "2026-12-01T08:30 or 2026-12-01T08:30:15Z", cli->until);
	if (cli->rule && !cli->rule[0])
		return usage_error(cmd, "--rule needs a rule name or pattern");
	if (cli->type && !history_type_known(cli->type))
		return usage_error(cmd, "--type '%s': expected transition, ack, silence, agent, "
		                   "config, command or store", cli->type);
	if (cli->control && !cli->control[0])
		return usage_error(cmd, "--control needs a control ID");
	return 0;
}

static int cmd_history(const struct cli *cli)
{
	struct history_opts o;
	int rc = history_options(cli, &o);
	if (rc != 0)
		return rc;
	struct fm_config *cfg = load_or_report(cli->config);
	if (!cfg)
		return EXIT_INVALID;
	rc = history_print(cfg, &o);
	config_free(cfg);
	return rc;
}

static int cmd_verify(const struct cli *cli)
{
	struct fm_config *cfg = load_or_report(cli->config);
	if (!cfg)
		return EXIT_INVALID;
	int rc = history_verify(cfg);
	config_free(cfg);
	return rc;
}

static int report_options(const struct cli *cli, struct report_opts *o)
{
	*o = (struct report_opts){.format = REPORT_HTML, .output = cli->output};
	const char *cmd = "report";
	if (!cli->month)
		return usage_error(cmd, "--month YYYY-MM is required");
	if (report_parse_month(cli->month, &o->year, &o->month) < 0)
		return usage_error(cmd, "--month '%s': expected a month as YYYY-MM (2026-11)",
		                   cli->month);
	if (report_month_start(o->year, o->month) > clock_wall_ms())
		return usage_error(cmd, "--month %s has not begun", cli->month);
	int f = cli->format ? report_format_from_name(cli->format) : REPORT_HTML;
	if (f < 0)
		return usage_error(cmd, "--format '%s': expected html, csv or json", cli->format);
	o->format = (enum report_format)f;
	if (cli->output && !cli->output[0])
		return usage_error(cmd, "-o needs a file name");
	return 0;
}

static int cmd_report(const struct cli *cli)
{
	struct report_opts o;
	int rc = report_options(cli, &o);
	if (rc != 0)
		return rc;
	struct fm_config *cfg = load_or_report(cli->config);
	if (!cfg)
		return EXIT_INVALID;
	rc = report_write(cfg, &o);
	config_free(cfg);
	return rc;
}

struct command {
	const char *name;
	const char *usage;
	unsigned options; /* OPT_* */
	int (*fn)(const struct cli *cli);
};

static const struct command commands[] = {
	{"run", usage_run, 0, cmd_run},
	{"check", usage_check, 0, cmd_check},
	{"once", usage_once, OPT_JSON, cmd_once},
	{"history", usage_history, OPT_JSON | OPT_FILTER, cmd_history},
	{"verify", usage_verify, 0, cmd_verify},
	{"report", usage_report, OPT_REPORT, cmd_report},
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("facmon %s\n", FACMON_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "probe") == 0)
		return probe_main(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		const struct command *c = &commands[i];
		if (strcmp(argv[1], c->name) != 0)
			continue;
		struct cli cli = {.config = DEFAULT_CONFIG};
		int exit_code;
		if (parse_options(argc - 1, argv + 1, c->usage, c->options, &cli, &exit_code) < 0)
			return exit_code;
		return c->fn(&cli);
	}
	fprintf(stderr, "facmon: unknown command '%s'\n\n%s", argv[1], usage_main);
	return EXIT_USAGE;
}

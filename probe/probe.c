/* probe.c - `facmon probe`: read one device ad hoc, for commissioning.
 *
 * Owns: the probe's --help (the user's manual of this command: every
 * option and worked examples) and probe_main(), which parses the command
 * line (probe_args.c) and hands the options to the mode that does the
 * work: probe_read.c (a plain read, --all-orders), probe_scan.c (--scan),
 * probe_profile.c (--profile), probe_snmp.c (`probe snmp`: OIDs or a
 * profile). How failures are explained is probe_report.c's. The exit
 * statuses are documented in the help.
 */
#include <stdio.h>

#include "probe/probe.h"
#include "probe/probe_private.h"

static const char probe_usage[] =
"Usage: facmon probe tcp HOST[:PORT] [OPTIONS]\n"
"       facmon probe rtu DEVICE [SERIAL OPTIONS] [OPTIONS]\n"
"       facmon probe snmp HOST[:PORT] [SNMP OPTIONS] (OID... | --profile NAME)\n"
"\n"
"Reads one Modbus device or SNMP agent ad hoc, without a config, to\n"
"commission a new sensor on an RS-485 line or behind a Modbus TCP gateway,\n"
"or a UPS, PDU or environment monitor on the network: prints what the device\n"
"answers or, when it does not, what to check.\n"
"\n"
"Where the Modbus device is:\n"
"  tcp HOST[:PORT]        a Modbus TCP device or gateway; PORT defaults to 502\n"
"                         (an IPv6 address with a port: [ADDR]:PORT)\n"
"  rtu DEVICE             a serial port: /dev/ttyUSB0, /dev/serial/by-id/...\n"
"      --baud N           1200 2400 4800 9600 19200 38400 57600 115200\n"
"                         (default 9600)\n"
"      --parity P         none | even | odd (default none)\n"
"      --data-bits N      7 or 8 (default 8)\n"
"      --stop-bits N      1 or 2 (default 1)\n"
"\n"
"What to read (Modbus):\n"
"  -u, --unit N           unit id (slave address), 1..247 (default 1)\n"
"  -r, --read KIND        holding (FC03), input (FC04), coil (FC01) or\n"
"                         discrete (FC02) (default holding)\n"
"  -a, --address N        first PDU address, 0..65535, decimal or 0x hex\n"
"                         (default 0). Manuals often count from 1 with the\n"
"                         kind in front: 40001 is --read holding --address 0,\n"
"                         30002 is --read input --address 1\n"
"  -n, --count N          how many values (default 1); in all at most 125\n"
"                         registers or 2000 bits, as in one Modbus request\n"
"  -t, --type TYPE        bool int16 uint16 int32 uint32 float32 int64 uint64\n"
"                         float64 (default uint16; bool for coil/discrete).\n"
"                         32-bit types take 2 registers, 64-bit types 4\n"
"  -o, --order ORDER      byte order of 32/64-bit types: abcd (big-endian,\n"
"                         the default), cdab (word-swapped), badc, dcba\n"
"      --scale X          value = raw * X + offset (default 1)\n"
"      --offset X         (default 0)\n"
"      --timeout MS       response timeout, 10..60000 ms (default 1000;\n"
"                         200 for --scan)\n"
"      --json             one JSON document on stdout, for scripts\n"
"\n"
"Instead of a plain read, one of:\n"
"      --all-orders       read 2 registers at --address and show them as\n"
"                         int32, uint32 and float32 in all four word orders:\n"
"                         the row that reads a plausible value (22.5) is the\n"
"                         order to configure\n"
"      --profile NAME     read every point of the device profile NAME\n"
"                         (hw/profiles/NAME.cfg) exactly as the agent does,\n"
"                         and print each point's value and unit\n"
"      --profile-dir DIR  where profiles are (default $FACMON_PROFILE_DIR,\n"
"                         else the installed profile directory)\n"
"      --scan [FROM-TO]   ask every unit id FROM..TO (default 1-247) once and\n"
"                         list those that answer; each costs at most\n"
"                         --timeout. A unit that answers with an exception\n"
"                         exists. Asks for --read/--address (holding 0)\n"
"  -h, --help             this help\n"
"\n"
"SNMP: snmp HOST[:PORT] GETs numeric OIDs, or every point of an SNMP profile\n"
"(--profile ups-mib: with units and enum names), from an SNMP agent (UDP; PORT\n"
"defaults to 161; [ADDR]:PORT for IPv6) exactly as the agent polls it:\n"
"  OID...                 numeric OIDs, e.g. 1.3.6.1.2.1.33.1.4.1.0 (a leading\n"
"                         dot is allowed); facmon reads no MIB files:\n"
"                         `snmptranslate -On UPS-MIB::upsOutputSource.0` gives\n"
"                         the number\n"
"      --version V        1, 2c or 3 (default 2c)\n"
"      --community C      version 1 and 2c (default public)\n"
"      --user U           version 3: the USM user (required)\n"
"      --level L          version 3: noAuthNoPriv, authNoPriv or authPriv\n"
"                         (default authPriv)\n"
"      --auth-protocol P  SHA, SHA-224, SHA-256, SHA-384, SHA-512 or MD5\n"
"                         (default SHA)\n"
"      --auth-passphrase-file F   the authentication passphrase, on the first\n"
"                         line of F; never on the command line, where `ps`\n"
"                         shows it. F must not be readable by every user\n"
"                         (chmod 600 F)\n"
"      --priv-protocol P  AES, AES-192, AES-256 or DES (default AES)\n"
"      --priv-passphrase-file F   the privacy passphrase, likewise\n"
"      --timeout MS       per try, 10..60000 ms (default 1000)\n"
"      --retries N        tries after the first when the agent is silent,\n"
"                         0..10 (default 1)\n"
"      --profile NAME, --profile-dir DIR, --json   as above\n"
"\n"
"Output: one line per register (address, raw value in decimal and hex, and\n"
"the decoded value on the first register of each value) or per bit; for\n"
"snmp one line per OID or point: its value, unit and enum name (3 (normal)),\n"
"or FAILED and why (noSuchObject, noSuchInstance, a wrong type).\n"
"Messages about failures go to stderr.\n"
"\n"
"Exit status: 0 the device answered with values (--scan: some unit answered;\n"
"--profile and snmp: every point or OID was read); 3 it did not answer,\n"
"refused with a Modbus exception, could not be reached, or (snmp) answered\n"
"an OID with an error (the message says which, and what to check); 2 bad\n"
"command line, or a profile for the other kind of device; 1 the profile\n"
"could not be loaded.\n"
"\n"
"Examples:\n"
"  facmon probe rtu /dev/ttyUSB0 --scan\n"
"      which unit ids answer on the line at 9600 8N1\n"
"  facmon probe rtu /dev/ttyUSB0 -u 1 -r input -a 1 -n 2 -t int16 --scale 0.1\n"
"      an XY-MD02's temperature and humidity, e.g. 22.5 and 45.1\n"
"  facmon probe rtu /dev/ttyUSB0 --baud 19200 --parity even -u 5 -n 10\n"
"      ten holding registers of unit 5 at 19200 8E1\n"
"  facmon probe tcp 192.0.2.10 -u 7 --profile xy-md02\n"
"      every point of an XY-MD02 behind the gateway at 192.0.2.10:502\n"
"  facmon probe tcp 192.0.2.10:502 -u 3 -a 0x34 --all-orders\n"
"      which word order makes registers 52-53 a sensible number\n"
"  facmon probe tcp 192.0.2.10 -u 3 -a 52 -t float32 -o cdab -n 3 --json\n"
"      three floats, for a script\n"
"  facmon probe tcp 192.0.2.10 -u 2 -r discrete -n 8\n"
"      the eight dry contacts of a digital-input module\n"
"  facmon probe snmp 192.0.2.20 --community ops 1.3.6.1.2.1.33.1.4.1.0\n"
"      a UPS's output source (UPS-MIB): 3 is normal, 5 on battery\n"
"  facmon probe snmp 192.0.2.20 --community ops --profile ups-mib\n"
"      every point of the UPS-MIB profile, with units and enum names\n"
"  facmon probe snmp 192.0.2.21:1161 --version 3 --user facmon \\\n"
"        --auth-protocol SHA-256 --auth-passphrase-file /etc/facmon/ups.auth \\\n"
"        --priv-passphrase-file /etc/facmon/ups.priv --json 1.3.6.1.2.1.1.3.0\n"
"      sysUpTime over SNMPv3 authPriv (AES), for a script\n";

int probe_main(int argc, char **argv)
{
	struct probe_opts o;
	char err[FM_TEXT_MAX * 2];
	int rc = probe_parse(argc, argv, &o, err, sizeof err);
	if (rc == 1) {
		fputs(probe_usage, stdout);
		return PROBE_EXIT_OK;
	}
	if (rc != 0) {
		fprintf(stderr, "facmon probe: %s\n"
		        "Run 'facmon probe --help' for the options and examples.\n", err);
		return PROBE_EXIT_USAGE;
	}
	if (o.bus.type == FM_BUS_SNMP)
		return probe_snmp(&o);
	switch (o.mode) {
	case PROBE_MODE_ALL_ORDERS:
		return probe_all_orders(&o);
	case PROBE_MODE_PROFILE:
		return probe_profile(&o);
	case PROBE_MODE_SCAN:
		return probe_scan(&o);
	default:
		return probe_read(&o);
	}
}

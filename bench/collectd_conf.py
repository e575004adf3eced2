#!/usr/bin/python3
"""collectd_conf.py - a collectd 5.12 config reading the same room as facmon.

Turns the room's points, as the agent itself loads them (profile and device
points merged, from `facmon-bench-plan --points`: one tab-separated line per
point), into a config for collectd's modbus and mqtt plugins: one <Data> per
point, a <Host> per device with its <Slave>, and a <Publish> to the broker.
Only those two plugins are loaded (AutoLoadPlugin off, no log or write
plugin besides mqtt), and its snmp plugin when the room has SNMP devices
(points with an oid: a <Data> per point of a profile, read with GET, a
<Host> per device).

collectd's modbus plugin sends one request per <Data>: it has no way to
read several points in one request, so this is what a collectd user gets,
not a handicap added here. What it cannot express is left out, and counted:
  - coils and discrete inputs (FC01/FC02): the plugin reads holding and
    input registers only;
  - a bit of a register: it reads the whole register, so the points that
    are bits of one register become ONE <Data> (the register as Uint16):
    reading the same register once per bit would be a strawman;
  - word orders other than abcd and cdab, and 64-bit floats (none in the
    bench room).

Usage: facmon-bench-plan -c ROOM --points |
       bench/collectd_conf.py --modbus HOST:PORT --mqtt HOST:PORT
                              --interval S --base-dir DIR > collectd.conf
Prints what it left out to stderr.
"""
import argparse
import collections
import sys

# (facmon type, word order) -> collectd RegisterType
REGISTER_TYPES = {
    ("int16", "abcd"): "Int16", ("uint16", "abcd"): "Uint16",
    ("int32", "abcd"): "Int32", ("int32", "cdab"): "Int32LE",
    ("uint32", "abcd"): "Uint32", ("uint32", "cdab"): "Uint32LE",
    ("float32", "abcd"): "Float", ("float32", "cdab"): "FloatLE",
    ("int64", "abcd"): "Int64", ("uint64", "abcd"): "Uint64",
}
COMMANDS = {"holding": "ReadHolding", "input": "ReadInput"}

Data = collections.namedtuple("Data", "name command address regtype instance scale shift")


def read_points(stream):
    """The --points lines as dicts, in the agent's device order."""
    lines = [line.rstrip("\n").split("\t") for line in stream if line.strip()]
    header, rows = lines[0], lines[1:]
    return [dict(zip(header, row)) for row in rows]


def plan_device(points):
    """The <Data> of one device, and the points left out with the reason."""
    datas, skipped, bit_registers = [], [], set()
    for p in points:
        command = COMMANDS.get(p["read"])
        if command is None:
            skipped.append((p["point"], f"{p['read']} (FC01/FC02) not supported"))
            continue
        name = f"{p['device']}.{p['point']}"
        if int(p["bit"]) >= 0:
            register = (p["read"], p["address"])
            if register in bit_registers:
                continue  # this register is already read, for another bit
            bit_registers.add(register)
            datas.append(Data(f"{p['device']}.{p['read']}{p['address']}", command,
                              p["address"], "Uint16", f"{p['read']}{p['address']}",
                              "1", "0"))
            continue
        regtype = REGISTER_TYPES.get((p["type"], p["order"]))
        if regtype is None:
            skipped.append((p["point"], f"{p['type']} {p['order']} not supported"))
            continue
        datas.append(Data(name, command, p["address"], regtype, p["point"],
                          p["scale"], p["offset"]))
    return datas, skipped


def data_block(d):
    return (f'<Data "{d.name}">\n'
            f"  RegisterBase {d.address}\n"
            f"  RegisterType {d.regtype}\n"
            f"  RegisterCmd {d.command}\n"
            f"  Type gauge\n"
            f'  Instance "{d.instance}"\n'
            f"  Scale {d.scale}\n"
            f"  Shift {d.shift}\n"
            f"</Data>\n")


def host_block(device, unit, datas, modbus, interval):
    """MODBUS: (host, port), or what gives it for a device (a room behind
    several gateways)."""
    host, port = modbus(device) if callable(modbus) else modbus
    collects = "".join(f'    Collect "{d.name}"\n' for d in datas)
    return (f'<Host "{device}">\n'
            f'  Address "{host}"\n'
            f'  Port "{port}"\n'
            f"  Interval {interval}\n"
            f"  <Slave {unit}>\n"
            f"{collects}"
            f"  </Slave>\n"
            f"</Host>\n")


def is_snmp(p):
    return p.get("oid", "-") != "-"


def snmp_plugin(points, snmp, interval):
    """<Plugin snmp> for the SNMP POINTS: a <Data> per point of a profile
    (a gauge, read with GET: Table false, its numeric OID, its scale), and
    a <Host> per device collecting its points; SNMP(device) gives
    (host, port, community). Debian's collectd reads the MIB files it
    finds at start (libsnmp-base's), as its users get it."""
    datas, hosts = collections.OrderedDict(), collections.OrderedDict()
    for p in points:
        name = f"{p['profile'] or p['device']}.{p['point']}"
        datas.setdefault(name, p)
        hosts.setdefault(p["device"], []).append(name)
    out = ["<Plugin snmp>\n"]
    for name, p in datas.items():
        out.append(f'<Data "{name}">\n'
                   f'  Type "gauge"\n'
                   f"  Table false\n"
                   f'  TypeInstance "{p["point"]}"\n'
                   f'  Values "{p["oid"]}"\n'
                   f"  Scale {p['scale']}\n"
                   f"  Shift {p['offset']}\n"
                   f"</Data>\n")
    for device, names in hosts.items():
        host, port, community = snmp(device)
        collects = " ".join(f'"{n}"' for n in names)
        out.append(f'<Host "{device}">\n'
                   f'  Address "{host}:{port}"\n'
                   f"  Version 2\n"
                   f'  Community "{community}"\n'
                   f"  Collect {collects}\n"
                   f"  Interval {interval}\n"
                   f"  Timeout 1\n"
                   f"  Retries 1\n"
                   f"</Host>\n")
    out.append("</Plugin>\n")
    return "".join(out)


def render(points, modbus, mqtt, interval, base_dir, snmp=None):
    """(config text, number of <Data>, [(device, point, why left out)]).
    SNMP: how to reach the SNMP devices (see snmp_plugin), if there are."""
    snmp_points = [p for p in points if is_snmp(p)]
    points = [p for p in points if not is_snmp(p)]
    devices = collections.OrderedDict()
    for p in points:
        devices.setdefault(p["device"], []).append(p)
    datas_text, hosts_text, skipped, ndata = [], [], [], 0
    for device, pts in devices.items():
        datas, left = plan_device(pts)
        skipped += [(device, point, why) for point, why in left]
        if not datas:
            continue
        ndata += len(datas)
        datas_text += [data_block(d) for d in datas]
        hosts_text.append(host_block(device, pts[0]["unit"], datas, modbus, interval))
    mqtt_host, mqtt_port = mqtt
    text = f"""# Written by bench/collectd_conf.py from the points facmon loads: the
# footprint bench's peer (bench/README.md). {ndata} <Data>, one request each.
Hostname "bench-room"
FQDNLookup false
BaseDir "{base_dir}"
PIDFile "{base_dir}/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
Interval {interval}
AutoLoadPlugin false

LoadPlugin modbus
LoadPlugin mqtt
{"LoadPlugin snmp" if snmp_points else ""}

<Plugin modbus>
{"".join(datas_text)}
{"".join(hosts_text)}
</Plugin>
{snmp_plugin(snmp_points, snmp, interval) if snmp_points else ""}

<Plugin mqtt>
  <Publish "bench">
    Host "{mqtt_host}"
    Port "{mqtt_port}"
    ClientId "collectd-bench"
    Prefix "collectd"
    QoS 1
    Retain false
    StoreRates true
  </Publish>
</Plugin>
"""
    return text, ndata + len(snmp_points), skipped


def endpoint(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: want HOST:PORT")
    return host, int(port)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--modbus", type=endpoint, required=True, help="Modbus TCP HOST:PORT")
    ap.add_argument("--mqtt", type=endpoint, required=True, help="broker HOST:PORT")
    ap.add_argument("--interval", type=int, default=5)
    ap.add_argument("--base-dir", required=True)
    args = ap.parse_args()
    text, ndata, skipped = render(read_points(sys.stdin), args.modbus, args.mqtt,
                                  args.interval, args.base_dir)
    sys.stdout.write(text)
    for device, point, why in skipped:
        print(f"collectd_conf.py: {device}.{point} left out: {why}", file=sys.stderr)
    print(f"collectd_conf.py: {ndata} <Data>, {len(skipped)} points left out",
          file=sys.stderr)


if __name__ == "__main__":
    main()

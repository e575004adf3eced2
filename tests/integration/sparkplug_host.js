// sparkplug_host.js - an independent Sparkplug B decoder for
// test_sparkplug.py: npm's sparkplug-payload (Eclipse Tahu's JavaScript
// codec) and MQTT.js, run under Node, installed by the test into the build
// tree (NODE_PATH).
//
// Usage: node sparkplug_host.js PORT
// Subscribes to spBv1.0/# on 127.0.0.1:PORT and prints one JSON line per
// message: {"topic", "payload"} with the payload as sparkplug-payload
// decodes it (64-bit numbers as numbers), or {"topic", "error"} when it
// does not decode. First prints {"ready": true} once subscribed.
// Reads commands from stdin, one JSON line each:
//   {"rebirth": "<group>/<edge>"}  publishes an NCMD "Node Control/Rebirth"
//                                  = true, encoded by sparkplug-payload
// and answers {"sent": "<topic>"}.
"use strict";

const mqtt = require("mqtt");
const sparkplug = require("sparkplug-payload").get("spBv1.0");
const readline = require("readline");

const port = Number(process.argv[2]);
const client = mqtt.connect({host: "127.0.0.1", port, protocolVersion: 4,
                             clean: true, reconnectPeriod: 200,
                             clientId: `sparkplug-host-${process.pid}`});

function plain(value) {
  if (value && typeof value === "object" && typeof value.toNumber === "function") {
    return value.toNumber(); // a Long
  }
  if (Array.isArray(value)) {
    return value.map(plain);
  }
  if (value && typeof value === "object" && !Buffer.isBuffer(value)) {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = plain(v);
    }
    return out;
  }
  return value;
}

function say(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

client.on("connect", () => {
  client.subscribe("spBv1.0/#", {qos: 1}, (err) => {
    if (err) {
      say({error: `subscribe: ${err.message}`});
      process.exit(2);
    }
    say({ready: true});
  });
});

client.on("message", (topic, message) => {
  try {
    say({topic, payload: plain(sparkplug.decodePayload(message))});
  } catch (e) {
    say({topic, error: String(e)});
  }
});

readline.createInterface({input: process.stdin}).on("line", (line) => {
  const cmd = JSON.parse(line);
  if (cmd.rebirth) {
    const [group, edge] = cmd.rebirth.split("/");
    const topic = `spBv1.0/${group}/NCMD/${edge}`;
    const payload = sparkplug.encodePayload({
      timestamp: Date.now(),
      metrics: [{name: "Node Control/Rebirth", type: "Boolean", value: true}],
    });
    client.publish(topic, payload, {qos: 0}, () => say({sent: topic}));
  }
}).on("close", () => {
  client.end(true, () => process.exit(0));
});

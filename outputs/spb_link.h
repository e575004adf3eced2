/* spb_link.h - the Sparkplug edge node's own broker connection, for
 * outputs/sparkplug.c.
 *
 * Owns: a libmosquitto client of its own to the `mqtt` broker (the same
 * host, port, credentials and TLS; client id <mqtt.client_id>-spb; a clean
 * session), because Sparkplug needs the NDEATH as the last will of the
 * connection that sends the NBIRTH; bdSeq, which counts its CONNECTs
 * (0..255, kept in <state_dir>/sparkplug.bdseq across restarts); the
 * subscription to its NCMD topic; the reconnect back-off. Driven by the
 * agent's loop through libmosquitto's external-loop calls, never a thread:
 * spb_link_fd() is polled for reading, spb_link_handle() reads, and
 * spb_link_service() does the timed work and writes what is still queued
 * (the agent polls an output's descriptor for reading only).
 */
#ifndef FACMON_SPB_LINK_H
#define FACMON_SPB_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

struct spb_link;

/* A message on the NCMD topic, passed on from inside libmosquitto's
 * callback: FN must only note it. */
typedef void spb_ncmd_fn(void *ctx, const void *payload, size_t len);

/* Connects on the first spb_link_service(); NULL with ERR when CFG's
 * broker settings cannot be used. */
struct spb_link *spb_link_create(const struct fm_config *cfg, spb_ncmd_fn *fn, void *ctx,
                                 char *err, size_t errlen);
/* A clean stop: the NDEATH published (the will is not sent on a clean
 * disconnect), up to TIMEOUT_MS for it to leave, then the disconnect. */
void spb_link_destroy(struct spb_link *l, int timeout_ms);

/* A reload that keeps the broker settings: CFG from now on. */
void spb_link_rebind(struct spb_link *l, const struct fm_config *cfg);

int spb_link_fd(struct spb_link *l);
void spb_link_handle(struct spb_link *l, int64_t now_mono);
int64_t spb_link_service(struct spb_link *l, int64_t now_mono);

bool spb_link_online(const struct spb_link *l);
/* True once after each new session (the births are due). */
bool spb_link_take_session(struct spb_link *l);
/* The bdSeq of the present session (its will's). */
uint64_t spb_link_bdseq(const struct spb_link *l);
/* "spBv1.0/<group>/<TYPE>/<edge>[/<device>]" into BUF. */
void spb_link_topic(const struct spb_link *l, const char *type, const char *device,
                    char *buf, size_t len);
/* Publishes LEN bytes of BUF on TOPIC (QoS 0, not retained, as
 * Sparkplug's births and data are); 0, or -1 when offline or refused. */
int spb_link_publish(struct spb_link *l, const char *topic, const void *buf, size_t len);

#endif

/*
 * Node identity: the chassis "EEPROM", a small checksummed record in
 * $KEEL_ROOT/var/lib/keel/chassis.eeprom that says which cluster this node
 * belongs to and whether it is node0 or node1 (DESIGN.md §3 "Cluster"). It
 * is written by `set chassis cluster cluster-id N node M` (operational
 * mode) and read at start-up by clusterd and mgd.
 *
 * Record format, version 1 (64 bytes, integers big-endian):
 *
 *   off len  field
 *     0   4  magic "KEEL"
 *     4   1  format version (1)
 *     5   1  flags, reserved (0)
 *     6   2  record length including the CRC (64)
 *     8   1  cluster-id 0..255 (0 = clustering disabled)
 *     9   1  node-id 0 or 1 (0 when clustering is disabled)
 *    10   6  base MAC address (unicast; all zero = unset)
 *    16  32  serial number: printable ASCII, NUL-padded, at most 31 chars
 *    48  12  reserved (0)
 *    60   4  CRC-32 (IEEE 802.3, as zlib's crc32()) of bytes 0..59
 */
#ifndef KEEL_CHASSIS_H
#define KEEL_CHASSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EEPROM_MAGIC      "KEEL"
#define EEPROM_VERSION    1
#define EEPROM_RECORD_LEN 64
#define EEPROM_SERIAL_LEN 32 /* field size; the string is at most 31 chars */
#define EEPROM_FILE       "chassis.eeprom"

struct chassis_id {
	uint8_t cluster_id; /* 0 = clustering disabled */
	uint8_t node_id;    /* 0 or 1 */
	uint8_t base_mac[6];
	char serial[EEPROM_SERIAL_LEN];
};

enum eeprom_err {
	EEPROM_OK = 0,
	EEPROM_ERR_TRUNCATED, /* shorter than its header or its length field */
	EEPROM_ERR_MAGIC,
	EEPROM_ERR_VERSION, /* a format this code does not know */
	EEPROM_ERR_LENGTH,  /* length field wrong for the version, or trailing bytes */
	EEPROM_ERR_CRC,
	EEPROM_ERR_RESERVED, /* reserved flags or bytes not zero */
	EEPROM_ERR_NODE_ID,  /* node-id > 1, or not 0 with clustering disabled */
	EEPROM_ERR_MAC,      /* multicast base MAC */
	EEPROM_ERR_SERIAL,   /* unterminated, non-printable or non-NUL padding */
	EEPROM_ERR_BUFFER,   /* encode: output buffer too small */
};

const char *eeprom_err_name(enum eeprom_err e);

/* CRC-32 (reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF). */
uint32_t eeprom_crc32(const uint8_t *buf, size_t len);

/* Decodes and validates one record; out is zeroed first. Pure. */
enum eeprom_err eeprom_decode(const uint8_t *buf, size_t len, struct chassis_id *out);
/* Validates in and writes the record (EEPROM_RECORD_LEN bytes) into buf. Pure. */
enum eeprom_err eeprom_encode(const struct chassis_id *in, uint8_t *buf, size_t cap,
                              size_t *outlen);

/* True when the identity puts this node in a cluster. */
bool chassis_clustered(const struct chassis_id *id);

/* The EEPROM file name under the state root. 0, or -1 (ENAMETOOLONG). */
int chassis_id_path(char *buf, size_t len);

/*
 * Reads the node identity. Returns 0 (read), 1 (no EEPROM file: clustering
 * disabled, *out zeroed) or -1 with the reason in why ("bad CRC", I/O
 * errors): a corrupt EEPROM is an error, never silently "not clustered".
 */
int chassis_id_read(struct chassis_id *out, char *why, size_t whylen);
int chassis_id_read_file(const char *path, struct chassis_id *out, char *why, size_t whylen);

/*
 * Writes the identity atomically: a temporary file in the same directory,
 * fsync, rename over the old one, fsync of the directory. A crash leaves
 * the old record or the new one. Creates the state directory if needed.
 * 0, or -1 with the reason in why.
 */
int chassis_id_write(const struct chassis_id *id, char *why, size_t whylen);
int chassis_id_write_file(const char *path, const struct chassis_id *id, char *why, size_t whylen);

#endif

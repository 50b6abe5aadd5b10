/*
 * The chassis EEPROM record: a pure codec (eeprom_decode / eeprom_encode over
 * lib/buf readers and writers) and the file I/O around it. Format in chassis.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/paths.h"
#include "platform/chassis/chassis.h"

#define OFF_CRC      (EEPROM_RECORD_LEN - 4)
#define RESERVED_LEN 12
/* Anything larger is not an EEPROM record; do not read it. */
#define FILE_MAX 4096

const char *eeprom_err_name(enum eeprom_err e)
{
	switch (e) {
	case EEPROM_OK:
		return "ok";
	case EEPROM_ERR_TRUNCATED:
		return "truncated";
	case EEPROM_ERR_MAGIC:
		return "bad magic";
	case EEPROM_ERR_VERSION:
		return "unknown format version";
	case EEPROM_ERR_LENGTH:
		return "bad length";
	case EEPROM_ERR_CRC:
		return "bad CRC";
	case EEPROM_ERR_RESERVED:
		return "reserved field not zero";
	case EEPROM_ERR_NODE_ID:
		return "node-id out of range";
	case EEPROM_ERR_MAC:
		return "multicast base MAC";
	case EEPROM_ERR_SERIAL:
		return "malformed serial number";
	case EEPROM_ERR_BUFFER:
		return "buffer too small";
	}
	return "?";
}

uint32_t eeprom_crc32(const uint8_t *buf, size_t len)
{
	static uint32_t table[256];
	static bool ready;
	uint32_t crc = 0xffffffffu;

	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = true;
	}
	for (size_t i = 0; i < len; i++)
		crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
	return crc ^ 0xffffffffu;
}

bool chassis_clustered(const struct chassis_id *id)
{
	return id->cluster_id != 0;
}

/* Rules shared by decode and encode (the record's meaning, not its bytes). */
static enum eeprom_err id_check(const struct chassis_id *id)
{
	bool ended = false;

	/* DESIGN.md §3: two nodes, node0 and node1; no node-id without a cluster. */
	if (id->node_id > 1 || (id->cluster_id == 0 && id->node_id != 0))
		return EEPROM_ERR_NODE_ID;
	/* The I/G bit (IEEE 802 §8.2): a base for station addresses must be individual. */
	if (id->base_mac[0] & 0x01)
		return EEPROM_ERR_MAC;
	for (size_t i = 0; i < EEPROM_SERIAL_LEN; i++) {
		unsigned char c = (unsigned char)id->serial[i];

		if (ended) {
			if (c)
				return EEPROM_ERR_SERIAL;
		} else if (c == '\0') {
			ended = true;
		} else if (c < 0x20 || c > 0x7e) {
			return EEPROM_ERR_SERIAL;
		}
	}
	return ended ? EEPROM_OK : EEPROM_ERR_SERIAL;
}

enum eeprom_err eeprom_decode(const uint8_t *buf, size_t len, struct chassis_id *out)
{
	struct rbuf r;
	uint8_t magic[4], version, flags, reserved[RESERVED_LEN];
	uint16_t reclen;
	uint32_t crc;
	enum eeprom_err e;

	memset(out, 0, sizeof(*out));
	rbuf_init(&r, buf, len);
	if (!rbuf_bytes(&r, magic, sizeof(magic)))
		return EEPROM_ERR_TRUNCATED;
	if (memcmp(magic, EEPROM_MAGIC, sizeof(magic)) != 0)
		return EEPROM_ERR_MAGIC;
	rbuf_u8(&r, &version);
	rbuf_u8(&r, &flags);
	rbuf_u16(&r, &reclen);
	if (!rbuf_ok(&r))
		return EEPROM_ERR_TRUNCATED;
	if (version != EEPROM_VERSION)
		return EEPROM_ERR_VERSION;
	if (reclen != EEPROM_RECORD_LEN)
		return EEPROM_ERR_LENGTH;
	if (len < reclen)
		return EEPROM_ERR_TRUNCATED;
	if (len > reclen)
		return EEPROM_ERR_LENGTH;
	/* The CRC first: a flipped bit is "corrupt", not a range error in some field. */
	if (eeprom_crc32(buf, OFF_CRC) !=
	    ((uint32_t)buf[OFF_CRC] << 24 | (uint32_t)buf[OFF_CRC + 1] << 16 |
	     (uint32_t)buf[OFF_CRC + 2] << 8 | buf[OFF_CRC + 3]))
		return EEPROM_ERR_CRC;
	rbuf_u8(&r, &out->cluster_id);
	rbuf_u8(&r, &out->node_id);
	rbuf_bytes(&r, out->base_mac, sizeof(out->base_mac));
	rbuf_bytes(&r, out->serial, sizeof(out->serial));
	rbuf_bytes(&r, reserved, sizeof(reserved));
	rbuf_u32(&r, &crc);
	if (!rbuf_ok(&r) || rbuf_left(&r) != 0) {
		memset(out, 0, sizeof(*out));
		return EEPROM_ERR_TRUNCATED;
	}
	for (size_t i = 0; i < sizeof(reserved); i++)
		if (reserved[i])
			flags = 1;
	e = flags ? EEPROM_ERR_RESERVED : id_check(out);
	if (e != EEPROM_OK)
		memset(out, 0, sizeof(*out));
	return e;
}

enum eeprom_err eeprom_encode(const struct chassis_id *in, uint8_t *buf, size_t cap, size_t *outlen)
{
	struct wbuf w;
	enum eeprom_err e = id_check(in);

	if (e != EEPROM_OK)
		return e;
	wbuf_init(&w, buf, cap);
	wbuf_bytes(&w, EEPROM_MAGIC, 4);
	wbuf_u8(&w, EEPROM_VERSION);
	wbuf_u8(&w, 0);
	wbuf_u16(&w, EEPROM_RECORD_LEN);
	wbuf_u8(&w, in->cluster_id);
	wbuf_u8(&w, in->node_id);
	wbuf_bytes(&w, in->base_mac, sizeof(in->base_mac));
	wbuf_bytes(&w, in->serial, sizeof(in->serial));
	wbuf_zero(&w, RESERVED_LEN);
	if (!wbuf_ok(&w) || wbuf_len(&w) != OFF_CRC)
		return EEPROM_ERR_BUFFER;
	wbuf_u32(&w, eeprom_crc32(buf, OFF_CRC));
	if (!wbuf_ok(&w))
		return EEPROM_ERR_BUFFER;
	*outlen = wbuf_len(&w);
	return EEPROM_OK;
}

/* ------------------------------------------------------------ files */

static int fail(char *why, size_t len, const char *path, const char *what, int err)
{
	if (why && len)
		snprintf(why, len, "%s: %s%s%s", path, what, err ? ": " : "",
		         err ? strerror(err) : "");
	errno = err ? err : EINVAL;
	return -1;
}

int chassis_id_path(char *buf, size_t len)
{
	return keel_path(buf, len, KEEL_DIR_STATE, EEPROM_FILE);
}

int chassis_id_read_file(const char *path, struct chassis_id *out, char *why, size_t whylen)
{
	uint8_t buf[FILE_MAX + 1];
	size_t got = 0;
	enum eeprom_err e;
	int fd;

	memset(out, 0, sizeof(*out));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 1;
		return fail(why, whylen, path, "open", errno);
	}
	while (got < sizeof(buf)) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			close(fd);
			return fail(why, whylen, path, "read", err);
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if ((e = eeprom_decode(buf, got, out)) != EEPROM_OK)
		return fail(why, whylen, path, eeprom_err_name(e), 0);
	return 0;
}

int chassis_id_read(struct chassis_id *out, char *why, size_t whylen)
{
	char path[4096];

	if (chassis_id_path(path, sizeof(path)) < 0)
		return fail(why, whylen, "$KEEL_ROOT", "path", ENAMETOOLONG);
	return chassis_id_read_file(path, out, why, whylen);
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int chassis_id_write_file(const char *path, const struct chassis_id *id, char *why, size_t whylen)
{
	uint8_t rec[EEPROM_RECORD_LEN];
	char tmp[4096], dir[4096];
	size_t len;
	enum eeprom_err e;
	int fd, n, err;

	if ((e = eeprom_encode(id, rec, sizeof(rec), &len)) != EEPROM_OK)
		return fail(why, whylen, path, eeprom_err_name(e), 0);
	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp) || strlen(path) >= sizeof(dir))
		return fail(why, whylen, path, "path", ENAMETOOLONG);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return fail(why, whylen, tmp, "create", errno);
	if (write_all(fd, rec, len) < 0 || fsync(fd) < 0) {
		err = errno;
		close(fd);
		unlink(tmp);
		return fail(why, whylen, tmp, "write", err);
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		err = errno;
		unlink(tmp);
		return fail(why, whylen, path, "rename", err);
	}
	/* The rename is durable only once the directory entry is on disk. */
	memcpy(dir, path, strlen(path) + 1);
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return fail(why, whylen, path, "open directory", errno);
	if (fsync(fd) < 0) {
		err = errno;
		close(fd);
		return fail(why, whylen, path, "fsync directory", err);
	}
	close(fd);
	return 0;
}

int chassis_id_write(const struct chassis_id *id, char *why, size_t whylen)
{
	char path[4096];

	if (keel_mkdirs(KEEL_DIR_STATE) < 0)
		return fail(why, whylen, KEEL_DIR_STATE, "mkdir", errno);
	if (chassis_id_path(path, sizeof(path)) < 0)
		return fail(why, whylen, "$KEEL_ROOT", "path", ENAMETOOLONG);
	return chassis_id_write_file(path, id, why, whylen);
}

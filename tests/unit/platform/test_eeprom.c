/*
 * The chassis EEPROM codec and its file I/O: good records, every rejection
 * reason, round trips, atomic write, missing and corrupt files.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "platform/chassis/chassis.h"

/* A hand-made record (bytes as the format table in chassis.h says). */
static const uint8_t good[EEPROM_RECORD_LEN] = {
        'K',  'E',  'E',  'L',                   /* magic */
        1,                                       /* version */
        0,                                       /* flags */
        0,    64,                                /* length */
        7,                                       /* cluster-id */
        1,                                       /* node-id */
        0x02, 0x00, 0x5e, 0x10, 0x20, 0x30,      /* base MAC */
        'S',  'N',  '-',  '0',  '0',  '4',  '2', /* serial, NUL padded to 32 */
};

/* Fills the CRC of a record whose bytes 0..59 are final. */
static void seal(uint8_t *rec)
{
	uint32_t crc = eeprom_crc32(rec, EEPROM_RECORD_LEN - 4);

	rec[60] = (uint8_t)(crc >> 24);
	rec[61] = (uint8_t)(crc >> 16);
	rec[62] = (uint8_t)(crc >> 8);
	rec[63] = (uint8_t)crc;
}

static void sealed_good(uint8_t *rec)
{
	memcpy(rec, good, EEPROM_RECORD_LEN);
	seal(rec);
}

static void test_crc32_vector(void **state)
{
	/* The CRC-32 check value (ISO 3309 / ITU-T V.42): "123456789" -> 0xCBF43926. */
	assert_int_equal(eeprom_crc32((const uint8_t *)"123456789", 9), 0xcbf43926u);
	assert_int_equal(eeprom_crc32(NULL, 0), 0);
}

static void test_decode_good(void **state)
{
	uint8_t rec[EEPROM_RECORD_LEN];
	struct chassis_id id;

	sealed_good(rec);
	assert_int_equal(eeprom_decode(rec, sizeof(rec), &id), EEPROM_OK);
	assert_int_equal(id.cluster_id, 7);
	assert_int_equal(id.node_id, 1);
	assert_memory_equal(id.base_mac, "\x02\x00\x5e\x10\x20\x30", 6);
	assert_string_equal(id.serial, "SN-0042");
	assert_true(chassis_clustered(&id));
}

static void test_decode_truncated(void **state)
{
	uint8_t rec[EEPROM_RECORD_LEN];
	struct chassis_id id;

	sealed_good(rec);
	for (size_t n = 0; n < sizeof(rec); n++) {
		enum eeprom_err e = eeprom_decode(rec, n, &id);

		assert_int_equal(e, EEPROM_ERR_TRUNCATED);
		assert_int_equal(id.cluster_id, 0);
	}
	assert_int_equal(eeprom_decode(NULL, 0, &id), EEPROM_ERR_TRUNCATED);
}

static void test_decode_oversized(void **state)
{
	uint8_t rec[EEPROM_RECORD_LEN + 1] = {0};
	struct chassis_id id;

	sealed_good(rec);
	assert_int_equal(eeprom_decode(rec, sizeof(rec), &id), EEPROM_ERR_LENGTH);
	/* A length field that disagrees with version 1. */
	rec[7] = 65;
	seal(rec);
	assert_int_equal(eeprom_decode(rec, sizeof(rec), &id), EEPROM_ERR_LENGTH);
}

static void test_decode_bad_magic_version_crc(void **state)
{
	uint8_t rec[EEPROM_RECORD_LEN];
	struct chassis_id id;

	sealed_good(rec);
	rec[0] = 'k';
	seal(rec);
	assert_int_equal(eeprom_decode(rec, sizeof(rec), &id), EEPROM_ERR_MAGIC);

	sealed_good(rec);
	rec[4] = 2;
	seal(rec);
	assert_int_equal(eeprom_decode(rec, sizeof(rec), &id), EEPROM_ERR_VERSION);
	rec[4] = 0;
	seal(rec);
	assert_int_equal(eeprom_decode(rec, sizeof(rec), &id), EEPROM_ERR_VERSION);

	/* Every single-bit flip past the header is caught by the CRC. */
	for (size_t bit = 8 * 8; bit < 8 * sizeof(rec); bit++) {
		sealed_good(rec);
		rec[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(eeprom_decode(rec, sizeof(rec), &id), EEPROM_ERR_CRC);
		assert_int_equal(id.cluster_id, 0);
	}
}

static void test_decode_out_of_range(void **state)
{
	uint8_t rec[EEPROM_RECORD_LEN];
	struct chassis_id id;

	sealed_good(rec);
	rec[9] = 2; /* node-id */
	seal(rec);
	assert_int_equal(eeprom_decode(rec, sizeof(rec), &id), EEPROM_ERR_NODE_ID);

	sealed_good(rec);
	rec[8] = 0; /* no cluster, yet node 1 */
	seal(rec);
	assert_int_equal(eeprom_decode(rec, sizeof(rec), &id), EEPROM_ERR_NODE_ID);
	rec[9] = 0;
	seal(rec);
	assert_int_equal(eeprom_decode(rec, sizeof(rec), &id), EEPROM_OK);
	assert_false(chassis_clustered(&id));

	sealed_good(rec);
	rec[8] = 255; /* the top of 0..255 is valid */
	seal(rec);
	assert_int_equal(eeprom_decode(rec, sizeof(rec), &id), EEPROM_OK);
	assert_int_equal(id.cluster_id, 255);

	sealed_good(rec);
	rec[10] |= 0x01; /* group MAC */
	seal(rec);
	assert_int_equal(eeprom_decode(rec, sizeof(rec), &id), EEPROM_ERR_MAC);

	sealed_good(rec);
	rec[5] = 0x80; /* flags */
	seal(rec);
	assert_int_equal(eeprom_decode(rec, sizeof(rec), &id), EEPROM_ERR_RESERVED);
	sealed_good(rec);
	rec[59] = 1; /* reserved tail */
	seal(rec);
	assert_int_equal(eeprom_decode(rec, sizeof(rec), &id), EEPROM_ERR_RESERVED);
}

static void test_decode_bad_serial(void **state)
{
	uint8_t rec[EEPROM_RECORD_LEN];
	struct chassis_id id;

	sealed_good(rec);
	rec[18] = '\n'; /* control character */
	seal(rec);
	assert_int_equal(eeprom_decode(rec, sizeof(rec), &id), EEPROM_ERR_SERIAL);

	sealed_good(rec);
	rec[30] = 'X'; /* junk after the terminating NUL */
	seal(rec);
	assert_int_equal(eeprom_decode(rec, sizeof(rec), &id), EEPROM_ERR_SERIAL);

	sealed_good(rec);
	memset(rec + 16, 'A', 32); /* no NUL at all */
	seal(rec);
	assert_int_equal(eeprom_decode(rec, sizeof(rec), &id), EEPROM_ERR_SERIAL);
	rec[47] = '\0'; /* 31 characters is the most */
	seal(rec);
	assert_int_equal(eeprom_decode(rec, sizeof(rec), &id), EEPROM_OK);
	assert_int_equal(strlen(id.serial), 31);
}

static void test_encode_round_trip(void **state)
{
	struct chassis_id in = {.cluster_id = 7, .node_id = 1}, out;
	uint8_t buf[EEPROM_RECORD_LEN + 8], rec[EEPROM_RECORD_LEN];
	size_t len = 0;

	memcpy(in.base_mac, "\x02\x00\x5e\x10\x20\x30", 6);
	snprintf(in.serial, sizeof(in.serial), "SN-0042");
	assert_int_equal(eeprom_encode(&in, buf, sizeof(buf), &len), EEPROM_OK);
	assert_int_equal(len, EEPROM_RECORD_LEN);
	sealed_good(rec);
	assert_memory_equal(buf, rec, EEPROM_RECORD_LEN);
	assert_int_equal(eeprom_decode(buf, len, &out), EEPROM_OK);
	assert_memory_equal(&in, &out, sizeof(in));

	for (unsigned c = 0; c < 256; c++) {
		in.cluster_id = (uint8_t)c;
		in.node_id = c ? (uint8_t)(c & 1) : 0;
		assert_int_equal(eeprom_encode(&in, buf, sizeof(buf), &len), EEPROM_OK);
		assert_int_equal(eeprom_decode(buf, len, &out), EEPROM_OK);
		assert_memory_equal(&in, &out, sizeof(in));
	}
}

static void test_encode_rejects(void **state)
{
	struct chassis_id in = {.cluster_id = 1, .node_id = 2};
	uint8_t buf[EEPROM_RECORD_LEN];
	size_t len;

	assert_int_equal(eeprom_encode(&in, buf, sizeof(buf), &len), EEPROM_ERR_NODE_ID);
	in.node_id = 0;
	assert_int_equal(eeprom_encode(&in, buf, sizeof(buf) - 1, &len), EEPROM_ERR_BUFFER);
	in.base_mac[0] = 0x01;
	assert_int_equal(eeprom_encode(&in, buf, sizeof(buf), &len), EEPROM_ERR_MAC);
	in.base_mac[0] = 0;
	memset(in.serial, 'A', sizeof(in.serial));
	assert_int_equal(eeprom_encode(&in, buf, sizeof(buf), &len), EEPROM_ERR_SERIAL);
	assert_string_equal(eeprom_err_name(EEPROM_ERR_CRC), "bad CRC");
}

static char tmpdir[64];

static int setup_dir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/keel-eeprom-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/var/lib/keel/%s", tmpdir, EEPROM_FILE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/var/lib/keel", tmpdir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/var/lib", tmpdir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/var", tmpdir);
	rmdir(path);
	return rmdir(tmpdir);
}

static void test_files(void **state)
{
	struct chassis_id in = {.cluster_id = 3, .node_id = 0}, out;
	char why[256] = "", path[256];
	struct stat st;
	FILE *f;

	setenv("KEEL_ROOT", tmpdir, 1);
	/* No EEPROM: clustering disabled, not an error. */
	out.cluster_id = 9;
	assert_int_equal(chassis_id_read(&out, why, sizeof(why)), 1);
	assert_int_equal(out.cluster_id, 0);

	snprintf(in.serial, sizeof(in.serial), "keel-node0");
	assert_int_equal(chassis_id_write(&in, why, sizeof(why)), 0);
	assert_int_equal(chassis_id_read(&out, why, sizeof(why)), 0);
	assert_memory_equal(&in, &out, sizeof(in));
	assert_int_equal(chassis_id_path(path, sizeof(path)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, EEPROM_RECORD_LEN);

	/* Overwrite: the new identity replaces the old one. */
	in.cluster_id = 4;
	in.node_id = 1;
	assert_int_equal(chassis_id_write(&in, why, sizeof(why)), 0);
	assert_int_equal(chassis_id_read(&out, why, sizeof(why)), 0);
	assert_int_equal(out.cluster_id, 4);
	assert_int_equal(out.node_id, 1);

	/* An invalid identity is refused before anything is written. */
	in.node_id = 5;
	assert_int_equal(chassis_id_write(&in, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "node-id"));
	assert_int_equal(chassis_id_read(&out, why, sizeof(why)), 0);
	assert_int_equal(out.node_id, 1);

	/* Corrupt one byte: an error with the reason, never "not clustered". */
	f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, 20, SEEK_SET);
	fputc('#', f);
	fclose(f);
	assert_int_equal(chassis_id_read(&out, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "bad CRC"));

	/* Truncated file. */
	assert_int_equal(truncate(path, 10), 0);
	assert_int_equal(chassis_id_read(&out, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "truncated"));
	unsetenv("KEEL_ROOT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_crc32_vector),
	        cmocka_unit_test(test_decode_good),
	        cmocka_unit_test(test_decode_truncated),
	        cmocka_unit_test(test_decode_oversized),
	        cmocka_unit_test(test_decode_bad_magic_version_crc),
	        cmocka_unit_test(test_decode_out_of_range),
	        cmocka_unit_test(test_decode_bad_serial),
	        cmocka_unit_test(test_encode_round_trip),
	        cmocka_unit_test(test_encode_rejects),
	        cmocka_unit_test_setup_teardown(test_files, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

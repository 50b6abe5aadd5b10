/*
 * dot1xd's per-port MAC index (daemons/dot1xd/port.c): multiple-mode sessions are found by
 * MAC in O(1) however many a port holds. 20000 sessions (past the old limit of 1024 and the
 * issue's 10k goal) are added, found, half of them removed, and the table keeps answering
 * exactly: present MACs found, removed and never-seen ones not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/dot1xd/dot1xd_daemon.h"

#define N 20000

static void mac_of(uint32_t i, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x01;
	mac[2] = (uint8_t)(i >> 24);
	mac[3] = (uint8_t)(i >> 16);
	mac[4] = (uint8_t)(i >> 8);
	mac[5] = (uint8_t)i;
}

static void test_hash_many(void **state)
{
	struct d1x_port *pt = calloc(1, sizeof(*pt));
	struct d1x_sess *s = calloc(N, sizeof(*s));
	uint8_t mac[6];

	(void)state;
	assert_non_null(pt);
	assert_non_null(s);
	pt->hseed = 0x5eed;
	for (uint32_t i = 0; i < N; i++) {
		s[i].has_mac = true;
		mac_of(i, s[i].mac);
		d1x_port_hash_add(pt, &s[i]);
		pt->nsess++; /* what d1x_sess_new does after adding */
	}
	/* The table grew with the sessions: about one per bucket, not 64 per bucket. */
	assert_true(pt->hsize >= N / 2);
	for (uint32_t i = 0; i < N; i++) {
		mac_of(i, mac);
		assert_ptr_equal(d1x_sess_find(pt, mac), &s[i]);
	}
	for (uint32_t i = 0; i < N; i += 2) {
		d1x_port_hash_del(pt, &s[i]);
		pt->nsess--;
	}
	for (uint32_t i = 0; i < N; i++) {
		mac_of(i, mac);
		assert_ptr_equal(d1x_sess_find(pt, mac), i % 2 ? &s[i] : NULL);
	}
	mac_of(N + 7, mac);
	assert_null(d1x_sess_find(pt, mac));
	/* A session without a MAC (the port's own instance) is never indexed. */
	struct d1x_sess port_sess = {0};

	d1x_port_hash_add(pt, &port_sess);
	memset(mac, 0, sizeof(mac));
	assert_null(d1x_sess_find(pt, mac));
	free(pt->htab);
	free(pt);
	free(s);
}

static void test_hash_empty(void **state)
{
	struct d1x_port pt;
	uint8_t mac[6] = {2, 0, 0, 0, 0, 1};

	(void)state;
	memset(&pt, 0, sizeof(pt));
	assert_null(d1x_sess_find(&pt, mac));
	assert_true(d1x_sess_size() > 0);
}

/* Session names are sized to what came, "" (nothing allocated) until then. */
static void test_str_set(void **state)
{
	char *s = NULL, *empty;

	(void)state;
	d1x_str_free(&s); /* a calloc'd session's NULL becomes "" */
	assert_non_null(s);
	assert_string_equal(s, "");
	empty = s;
	assert_int_equal(d1x_str_set(&s, "bob", 3), 0);
	assert_string_equal(s, "bob");
	/* cut at len and at a NUL (EAP identities are bytes) */
	assert_int_equal(d1x_str_set(&s, "alice@example", 5), 0);
	assert_string_equal(s, "alice");
	assert_int_equal(d1x_str_set(&s, "v1\0junk", 8), 0);
	assert_string_equal(s, "v1");
	/* from itself (d1x_overlay with the cached VLAN) */
	assert_int_equal(d1x_str_set(&s, s, strlen(s)), 0);
	assert_string_equal(s, "v1");
	/* "" and NULL give the shared empty string back, nothing allocated */
	assert_int_equal(d1x_str_set(&s, "", 0), 0);
	assert_ptr_equal(s, empty);
	assert_int_equal(d1x_str_set(&s, NULL, 10), 0);
	assert_ptr_equal(s, empty);
	assert_int_equal(d1x_str_set(&s, "x", 1), 0);
	d1x_str_free(&s);
	assert_ptr_equal(s, empty);
	/* the fixed fields are gone from the session */
	assert_true(d1x_sess_size() < 2048);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hash_many),
	        cmocka_unit_test(test_hash_empty),
	        cmocka_unit_test(test_str_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

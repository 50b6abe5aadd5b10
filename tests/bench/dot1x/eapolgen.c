/*
 * eapolgen — EAP-MD5 supplicant load generator for bench_dot1x.py: many supplicants, each
 * with its own source MAC, over AF_PACKET sockets on one or more interfaces, W sessions in
 * flight. Written independently of keel's codecs (it is the yardstick for keel and hostapd).
 *
 *   eapolgen -i IF [-i IF ...] -u USER -p PASS [-n N] [-w W] [-d SECONDS] [-t TIMEOUT_MS]
 *            [-m RUNBYTE] [-b RAMP] [-k]
 *
 * A session: EAPOL-Start to the PAE group address (802.1X-2004 §7.8) -> Request/Identity ->
 * Response/Identity -> Request/MD5-Challenge -> Response (RFC 3748 §5.4: MD5(id | password |
 * challenge), RFC 1994) -> Success, then EAPOL-Logoff so the authenticator forgets the
 * station (-k: no Logoff, the sessions stay held: the held-sessions measurement). Replies go to the
 * authenticator's MAC as learned from its Request. A Request for another method is answered with a
 * Nak asking for MD5. Sessions stop starting after N sessions or SECONDS, whichever is first; a
 * session without a result after TIMEOUT_MS fails. At most RAMP (16) sessions start per loop turn
 * (about a millisecond), so W is reached over W/RAMP ms. Supplicant MACs are 02:RUNBYTE:<32-bit
 * session number>.
 *
 * Prints one JSON object: sessions ok/failed/timed out, successes/s from the first Start to
 * the last Success, latency
 * Start -> Success (p50, p99, max) in microseconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define MAX_IFS   8
#define ETH_P_EAP 0x888e

struct sess {
	int active;
	uint64_t t0;
	uint8_t auth_mac[6];
	int have_auth;
};

struct ifc {
	int fd;
	int ifindex;
	uint8_t mac[6];
};

static struct ifc ifs[MAX_IFS];
static int nifs;
static struct sess *sess;
static uint64_t *lat;
static int ramp = 16; /* session starts per loop turn (at most one turn per ~1 ms) */
static int n_total = 1000, width = 1, started, n_ok, n_fail, n_timeout, n_done, n_active;
static double duration = 1e9;
static uint64_t timeout_us = 10000000;
static const char *user = "bob", *pass = "hello";
static uint8_t runbyte = 1;
static int keep; /* -k: no Logoff after Success */
static uint64_t frames_tx, frames_rx, frames_ignored, t_first, t_last_ok;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sess_mac(int i, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = runbyte;
	mac[2] = (uint8_t)(i >> 24);
	mac[3] = (uint8_t)(i >> 16);
	mac[4] = (uint8_t)(i >> 8);
	mac[5] = (uint8_t)i;
}

/* EAPOL version 2 (802.1X-2004), type, body; padded to the 60-byte Ethernet minimum. */
static void send_eapol(int i, const uint8_t dst[6], uint8_t type, const uint8_t *body, size_t blen)
{
	uint8_t f[1514];
	size_t len = 18 + blen;
	struct ifc *ic = &ifs[i % nifs];

	memcpy(f, dst, 6);
	sess_mac(i, f + 6);
	f[12] = ETH_P_EAP >> 8;
	f[13] = ETH_P_EAP & 0xff;
	f[14] = 2;
	f[15] = type;
	f[16] = (uint8_t)(blen >> 8);
	f[17] = (uint8_t)blen;
	memcpy(f + 18, body, blen);
	if (len < 60) {
		memset(f + len, 0, 60 - len);
		len = 60;
	}
	if (send(ic->fd, f, len, 0) < 0 && errno != EAGAIN && errno != ENOBUFS)
		perror("eapolgen: send");
	frames_tx++;
}

static const uint8_t pae_group[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x03};

static void start_one(void)
{
	int i = started++;

	sess[i].active = 1;
	sess[i].t0 = now_us();
	n_active++;
	send_eapol(i, pae_group, 1 /* Start */, NULL, 0);
}

static void finish(int i, int ok)
{
	if (!sess[i].active)
		return;
	sess[i].active = 0;
	n_active--;
	if (ok == 1) {
		t_last_ok = now_us();
		lat[n_ok++] = t_last_ok - sess[i].t0;
		/* Logoff: the authenticator drops the station (hostapd: max_num_sta). */
		if (!keep)
			send_eapol(i, sess[i].have_auth ? sess[i].auth_mac : pae_group, 2, NULL, 0);
	} else if (ok == 0) {
		n_fail++;
	} else {
		n_timeout++;
	}
	n_done++;
}

static void on_eap(int i, const uint8_t *src, const uint8_t *eap, size_t len)
{
	uint8_t out[256];
	size_t olen;

	if (len < 4)
		return;
	uint8_t code = eap[0], id = eap[1];
	size_t elen = (size_t)eap[2] << 8 | eap[3];

	if (elen < 4 || elen > len)
		return;
	memcpy(sess[i].auth_mac, src, 6);
	sess[i].have_auth = 1;
	if (code == 3) {
		finish(i, 1);
		return;
	}
	if (code == 4) {
		finish(i, 0);
		return;
	}
	if (code != 1 || elen < 5)
		return;
	uint8_t type = eap[4];
	size_t ulen = strlen(user);

	out[0] = 2;
	out[1] = id;
	if (type == 1) { /* Identity */
		out[4] = 1;
		memcpy(out + 5, user, ulen);
		olen = 5 + ulen;
	} else if (type == 4) { /* MD5-Challenge: Value-Size, Value, Name */
		if (elen < 6 || (size_t)eap[5] + 6 > elen)
			return;
		uint8_t md[16];
		unsigned int mdl = 16;
		EVP_MD_CTX *c = EVP_MD_CTX_new();

		EVP_DigestInit_ex(c, EVP_md5(), NULL);
		EVP_DigestUpdate(c, &id, 1);
		EVP_DigestUpdate(c, pass, strlen(pass));
		EVP_DigestUpdate(c, eap + 6, eap[5]);
		EVP_DigestFinal_ex(c, md, &mdl);
		EVP_MD_CTX_free(c);
		out[4] = 4;
		out[5] = 16;
		memcpy(out + 6, md, 16);
		memcpy(out + 22, user, ulen);
		olen = 22 + ulen;
	} else { /* Nak: MD5 please */
		out[4] = 3;
		out[5] = 4;
		olen = 6;
	}
	out[2] = (uint8_t)(olen >> 8);
	out[3] = (uint8_t)olen;
	send_eapol(i, src, 0, out, olen);
}

static void rx(struct ifc *ic)
{
	uint8_t f[2048];

	for (int k = 0; k < 512; k++) {
		ssize_t n = recv(ic->fd, f, sizeof(f), MSG_DONTWAIT);

		if (n < 0)
			return;
		frames_rx++;
		/* Ours: to 02:RUNBYTE:..., EAPOL type 0 (EAP). */
		if (n < 22 || f[0] != 0x02 || f[1] != runbyte || f[12] != 0x88 || f[13] != 0x8e ||
		    f[15] != 0) {
			frames_ignored++;
			continue;
		}
		int i = (int)((uint32_t)f[2] << 24 | (uint32_t)f[3] << 16 | (uint32_t)f[4] << 8 |
		              f[5]);
		size_t blen = (size_t)f[16] << 8 | f[17];

		if (i < 0 || i >= started || !sess[i].active || 18 + blen > (size_t)n) {
			frames_ignored++;
			continue;
		}
		on_eap(i, f + 6, f + 18, blen);
	}
}

static int open_if(const char *name, struct ifc *ic)
{
	struct sockaddr_ll sll = {0};
	struct packet_mreq mr = {0};
	int buf = 8 << 20;

	ic->ifindex = (int)if_nametoindex(name);
	if (!ic->ifindex)
		return -1;
	ic->fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_EAP));
	if (ic->fd < 0)
		return -1;
	setsockopt(ic->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(ic->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_EAP);
	sll.sll_ifindex = ic->ifindex;
	if (bind(ic->fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
		return -1;
	/* Our own transmissions are of no interest (Linux 4.20). */
	int one = 1;

	setsockopt(ic->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	/* Our supplicants' MACs are not the interface's: receive everything. */
	mr.mr_ifindex = ic->ifindex;
	mr.mr_type = PACKET_MR_PROMISC;
	return setsockopt(ic->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "i:u:p:n:w:d:t:m:b:k")) != -1) {
		switch (c) {
		case 'i':
			if (nifs == MAX_IFS || open_if(optarg, &ifs[nifs]) != 0) {
				fprintf(stderr, "eapolgen: interface %s: %s\n", optarg,
				        strerror(errno));
				return 2;
			}
			nifs++;
			break;
		case 'u':
			user = optarg;
			break;
		case 'p':
			pass = optarg;
			break;
		case 'n':
			n_total = atoi(optarg);
			break;
		case 'w':
			width = atoi(optarg);
			break;
		case 'd':
			duration = atof(optarg);
			break;
		case 't':
			timeout_us = (uint64_t)atoll(optarg) * 1000;
			break;
		case 'b':
			ramp = atoi(optarg) > 0 ? atoi(optarg) : 1;
			break;
		case 'k':
			keep = 1;
			break;
		case 'm':
			runbyte = (uint8_t)strtoul(optarg, NULL, 0);
			break;
		default:
			return 2;
		}
	}
	if (!nifs || n_total < 1 || width < 1 || strlen(user) > 200) {
		fprintf(stderr, "usage: eapolgen -i IF -u USER -p PASS [-n N] [-w W] ...\n");
		return 2;
	}
	sess = calloc((size_t)n_total, sizeof(*sess));
	lat = calloc((size_t)n_total, sizeof(*lat));
	if (!sess || !lat)
		return 2;
	struct pollfd pfd[MAX_IFS];

	for (int k = 0; k < nifs; k++) {
		pfd[k].fd = ifs[k].fd;
		pfd[k].events = POLLIN;
	}
	uint64_t t0 = t_first = now_us(), stop_start = t0 + (uint64_t)(duration * 1e6),
	         last_scan = t0;
	int scan_from = 0;

	for (;;) {
		uint64_t now = now_us();

		/*
		 * Ramp up to W: a real port sees supplicants arrive over time, not 1024 Starts in
		 * the same microsecond (which would only measure socket buffer sizes).
		 */
		for (int k = 0;
		     k < ramp && n_active < width && started < n_total && now < stop_start; k++)
			start_one();
		if (n_active == 0 && (started >= n_total || now >= stop_start))
			break;
		if (poll(pfd, (nfds_t)nifs, n_active < width ? 1 : 5) > 0)
			for (int k = 0; k < nifs; k++)
				if (pfd[k].revents & POLLIN)
					rx(&ifs[k]);
		now = now_us();
		if (now - last_scan > 20000) {
			/* Sessions start in order: only [scan_from, started) can be active. */
			last_scan = now;
			while (scan_from < started && !sess[scan_from].active)
				scan_from++;
			for (int i = scan_from; i < started; i++)
				if (sess[i].active && now - sess[i].t0 > timeout_us)
					finish(i, -1);
		}
	}
	double secs = (double)(now_us() - t0) / 1e6;
	/* Rate over the span that produced successes: sessions left hanging until their
	 * timeout (counted as failures) do not dilute it. */
	double span = n_ok ? (double)(t_last_ok - t_first) / 1e6 : secs;

	qsort(lat, (size_t)n_ok, sizeof(*lat), cmp_u64);
	printf("{\"n\": %d, \"w\": %d, \"ok\": %d, \"failed\": %d, \"timeout\": %d, "
	       "\"secs\": %.3f, \"per_s\": %.1f, \"p50_us\": %llu, \"p99_us\": %llu, "
	       "\"max_us\": %llu, \"frames_tx\": %llu, \"frames_rx\": %llu, \"ignored\": %llu}\n",
	       started, width, n_ok, n_fail, n_timeout, secs, span > 0 ? n_ok / span : 0.0,
	       (unsigned long long)(n_ok ? lat[n_ok / 2] : 0),
	       (unsigned long long)(n_ok ? lat[(size_t)((n_ok - 1) * 0.99)] : 0),
	       (unsigned long long)(n_ok ? lat[n_ok - 1] : 0), (unsigned long long)frames_tx,
	       (unsigned long long)frames_rx, (unsigned long long)frames_ignored);
	return 0;
}

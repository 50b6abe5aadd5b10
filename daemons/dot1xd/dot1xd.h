/*
 * dot1xd — the IEEE 802.1X authenticator with its RADIUS client, the Junos dot1xd. Shared
 * types of the wire codecs (issue 8 items 1 and 3).
 *
 *   eapol.c    EAPOL (802.1X-2010 §11) and EAP (RFC 3748) headers, Identity, MD5-Challenge
 *              (RFC 3748 §5.4, RFC 1994) and Nak helpers; pure, fuzzed (fuzz_eapol.c)
 *   radius.c   RADIUS client codec (RFC 2865/2866/2868/3579/3580/5176): message builder with
 *              Message-Authenticator first, Access-Request and Accounting-Request builders,
 *              response and CoA/Disconnect verification and parsing; pure, fuzzed
 *              (fuzz_radius.c)
 *
 * Every decoder takes bytes and fills a struct; pointers in a decoded struct borrow the
 * input buffer. Nothing here does I/O, logs or keeps globals: each function returns a reason
 * enum whose _name() is what the daemon logs and counts.
 */
#ifndef KEEL_DOT1XD_H
#define KEEL_DOT1XD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ================================================================= EAPOL */

#define EAPOL_ETHERTYPE 0x888e
#define EAPOL_HDR_LEN   4  /* Version, Packet Type, Body Length */
#define EAPOL_ETH_LEN   14 /* DA, SA, EtherType */
#define EAPOL_VERSION   2  /* what keel sends (802.1X-2004); any version is accepted */

enum eapol_type {
	EAPOL_TYPE_EAP = 0,
	EAPOL_TYPE_START = 1,
	EAPOL_TYPE_LOGOFF = 2,
	EAPOL_TYPE_KEY = 3,
	EAPOL_TYPE_ASF_ALERT = 4,
	EAPOL_TYPE_MKA = 5,
	EAPOL_TYPE_ANNOUNCE_GENERIC = 6,
	EAPOL_TYPE_ANNOUNCE_SPECIFIC = 7,
	EAPOL_TYPE_ANNOUNCE_REQ = 8,
};

enum eapol_err {
	EAPOL_OK = 0,
	EAPOL_ERR_SHORT,     /* fewer than 4 bytes (or 14 + 4 for a frame) */
	EAPOL_ERR_BODY_LEN,  /* Body Length past the end of the frame */
	EAPOL_ERR_IGNORED,   /* a type other than EAP-Packet/Start/Logoff: dropped silently */
	EAPOL_ERR_ETHERTYPE, /* frame: not 0x888E */
	EAPOL_ERR_SRC,       /* frame: group source address */
	EAPOL_ERR_EAP,       /* EAP-Packet whose EAP header is malformed (see eap_decode) */
	EAPOL_ERR_NO_SPACE,  /* encoder: buffer too small */
	EAPOL_ERR_ARG,       /* encoder: field out of range */
	EAPOL_ERR_COUNT,
};

struct eapol_pkt {
	uint8_t version;     /* as received, not checked (1, 2, 3 seen in the field) */
	uint8_t type;        /* enum eapol_type */
	uint16_t body_len;   /* Body Length: the body, padding excluded */
	const uint8_t *body; /* borrows the input; body_len bytes */
};

struct eapol_frame {
	uint8_t dst[6];
	uint8_t src[6];
	bool pae_group; /* dst is 01:80:C2:00:00:0X (802.1X-2010 §11.1.1) */
	struct eapol_pkt pkt;
};

/*
 * An EAPOL PDU (after the Ethernet header). Types 3..255 decode (the header is sound) but
 * return EAPOL_ERR_IGNORED so the caller drops them and counts why.
 */
enum eapol_err eapol_decode(const uint8_t *buf, size_t len, struct eapol_pkt *out);
/* A whole Ethernet frame as an AF_PACKET SOCK_RAW socket reads it (untagged). */
enum eapol_err eapol_frame_decode(const uint8_t *frame, size_t len, struct eapol_frame *out);
/* EAPOL header + body into buf; *outlen = 4 + body_len. */
enum eapol_err eapol_encode(uint8_t version, uint8_t type, const uint8_t *body, size_t body_len,
                            uint8_t *buf, size_t cap, size_t *outlen);
/* Ethernet header (dst, src, 0x888E) + EAPOL; short frames are padded to 60 bytes. */
enum eapol_err eapol_frame_encode(const uint8_t dst[6], const uint8_t src[6], uint8_t version,
                                  uint8_t type, const uint8_t *body, size_t body_len, uint8_t *buf,
                                  size_t cap, size_t *outlen);
const char *eapol_err_name(enum eapol_err e);
const char *eapol_type_name(uint8_t type);

/* =================================================================== EAP */

#define EAP_HDR_LEN 4 /* Code, Identifier, Length */

enum eap_code {
	EAP_CODE_REQUEST = 1,
	EAP_CODE_RESPONSE = 2,
	EAP_CODE_SUCCESS = 3,
	EAP_CODE_FAILURE = 4,
};

enum eap_type {
	EAP_TYPE_IDENTITY = 1,
	EAP_TYPE_NOTIFICATION = 2,
	EAP_TYPE_NAK = 3,
	EAP_TYPE_MD5 = 4,
	EAP_TYPE_TLS = 13,
	EAP_TYPE_TTLS = 21,
	EAP_TYPE_PEAP = 25,
	EAP_TYPE_EXPANDED = 254,
};

enum eap_err {
	EAP_OK = 0,
	EAP_ERR_SHORT,    /* fewer than 4 bytes */
	EAP_ERR_LENGTH,   /* Length < 4 or past the end of the buffer */
	EAP_ERR_CODE,     /* Code not 1..4 */
	EAP_ERR_NO_TYPE,  /* Request/Response without a Type octet */
	EAP_ERR_SUCCESS,  /* Success/Failure with Length != 4 (RFC 3748 §4.2) */
	EAP_ERR_NOT_TYPE, /* helper: not the code/type the helper parses */
	EAP_ERR_MD5,      /* MD5-Challenge: Value-Size 0 or past the data */
	EAP_ERR_NO_SPACE, /* encoder: buffer too small */
	EAP_ERR_ARG,      /* encoder: field out of range */
	EAP_ERR_COUNT,
};

struct eap_pkt {
	uint8_t code;        /* enum eap_code */
	uint8_t id;          /* Identifier */
	uint16_t length;     /* Length field: the EAP packet, bytes after it are padding */
	uint8_t type;        /* Request/Response only, else 0 */
	const uint8_t *data; /* Type-Data (borrows the input) */
	size_t data_len;
};

/* RFC 3748 §4: one EAP packet; bytes after Length are ignored (EAPOL/RADIUS padding). */
enum eap_err eap_decode(const uint8_t *buf, size_t len, struct eap_pkt *out);
/* Request/Response carry type + data; Success/Failure ignore both (Length 4). */
enum eap_err eap_encode(uint8_t code, uint8_t id, uint8_t type, const uint8_t *data,
                        size_t data_len, uint8_t *buf, size_t cap, size_t *outlen);
/*
 * RFC 3748 §5.1: the identity of a Response/Identity, cut at a NUL (a supplicant that
 * terminates the string must not give keel a User-Name with a NUL in it); may be empty.
 */
enum eap_err eap_identity_parse(const struct eap_pkt *p, const uint8_t **identity, size_t *len);
/* RFC 3748 §5.4: Value-Size, Value, Name. */
enum eap_err eap_md5_parse(const struct eap_pkt *p, const uint8_t **value, size_t *value_len,
                           const uint8_t **name, size_t *name_len);
enum eap_err eap_md5_encode(uint8_t code, uint8_t id, const uint8_t *value, size_t value_len,
                            const uint8_t *name, size_t name_len, uint8_t *buf, size_t cap,
                            size_t *outlen);
/* RFC 1994 §4.1 as EAP-MD5 uses it: MD5(Identifier | secret | challenge). 0 or -1. */
int eap_md5_response_value(uint8_t id, const void *secret, size_t secret_len,
                           const uint8_t *challenge, size_t challenge_len, uint8_t out[16]);
/* RFC 3748 §5.3.1: a Response/Nak listing the desired auth types (n >= 1; 0 = none). */
enum eap_err eap_nak_encode(uint8_t id, const uint8_t *types, size_t n, uint8_t *buf, size_t cap,
                            size_t *outlen);
const char *eap_err_name(enum eap_err e);
const char *eap_code_name(uint8_t code);

/* ================================================================ RADIUS */

#define RADIUS_HDR_LEN      20
#define RADIUS_AUTH_LEN     16
#define RADIUS_MAX_LEN      4096 /* RFC 2865 §3 */
#define RADIUS_ATTR_MAX     253  /* value bytes in one attribute */
#define RADIUS_MA_ATTR_LEN  18   /* RFC 3579 §3.2 */
#define RADIUS_PASSWORD_MAX 128  /* RFC 2865 §5.2 */
#define RADIUS_PORT_AUTH    1812
#define RADIUS_PORT_ACCT    1813
#define RADIUS_PORT_DAS     3799 /* RFC 5176 §3 */
#define RADIUS_MAC_STR_LEN  18   /* "00-10-A4-23-19-C0" + NUL */
#define RADIUS_CLASS_MAX    4    /* Class attributes kept from an Accept (echoed in accounting) */

enum radius_code {
	RADIUS_CODE_ACCESS_REQUEST = 1,
	RADIUS_CODE_ACCESS_ACCEPT = 2,
	RADIUS_CODE_ACCESS_REJECT = 3,
	RADIUS_CODE_ACCOUNTING_REQUEST = 4,
	RADIUS_CODE_ACCOUNTING_RESPONSE = 5,
	RADIUS_CODE_ACCESS_CHALLENGE = 11,
	RADIUS_CODE_STATUS_SERVER = 12,
	RADIUS_CODE_DISCONNECT_REQUEST = 40,
	RADIUS_CODE_DISCONNECT_ACK = 41,
	RADIUS_CODE_DISCONNECT_NAK = 42,
	RADIUS_CODE_COA_REQUEST = 43,
	RADIUS_CODE_COA_ACK = 44,
	RADIUS_CODE_COA_NAK = 45,
};

enum radius_attr_type {
	RADIUS_ATTR_USER_NAME = 1,
	RADIUS_ATTR_USER_PASSWORD = 2,
	RADIUS_ATTR_NAS_IP_ADDRESS = 4,
	RADIUS_ATTR_NAS_PORT = 5,
	RADIUS_ATTR_SERVICE_TYPE = 6,
	RADIUS_ATTR_FRAMED_IP_ADDRESS = 8,
	RADIUS_ATTR_FRAMED_MTU = 12,
	RADIUS_ATTR_REPLY_MESSAGE = 18,
	RADIUS_ATTR_STATE = 24,
	RADIUS_ATTR_CLASS = 25,
	RADIUS_ATTR_VENDOR_SPECIFIC = 26,
	RADIUS_ATTR_SESSION_TIMEOUT = 27,
	RADIUS_ATTR_IDLE_TIMEOUT = 28,
	RADIUS_ATTR_TERMINATION_ACTION = 29,
	RADIUS_ATTR_CALLED_STATION_ID = 30,
	RADIUS_ATTR_CALLING_STATION_ID = 31,
	RADIUS_ATTR_NAS_IDENTIFIER = 32,
	RADIUS_ATTR_PROXY_STATE = 33,
	RADIUS_ATTR_ACCT_STATUS_TYPE = 40,
	RADIUS_ATTR_ACCT_DELAY_TIME = 41,
	RADIUS_ATTR_ACCT_INPUT_OCTETS = 42,
	RADIUS_ATTR_ACCT_OUTPUT_OCTETS = 43,
	RADIUS_ATTR_ACCT_SESSION_ID = 44,
	RADIUS_ATTR_ACCT_AUTHENTIC = 45,
	RADIUS_ATTR_ACCT_SESSION_TIME = 46,
	RADIUS_ATTR_ACCT_INPUT_PACKETS = 47,
	RADIUS_ATTR_ACCT_OUTPUT_PACKETS = 48,
	RADIUS_ATTR_ACCT_TERMINATE_CAUSE = 49,
	RADIUS_ATTR_ACCT_MULTI_SESSION_ID = 50,
	RADIUS_ATTR_ACCT_INPUT_GIGAWORDS = 52,
	RADIUS_ATTR_ACCT_OUTPUT_GIGAWORDS = 53,
	RADIUS_ATTR_EVENT_TIMESTAMP = 55,
	RADIUS_ATTR_NAS_PORT_TYPE = 61,
	RADIUS_ATTR_TUNNEL_TYPE = 64,
	RADIUS_ATTR_TUNNEL_MEDIUM_TYPE = 65,
	RADIUS_ATTR_EAP_MESSAGE = 79,
	RADIUS_ATTR_MESSAGE_AUTHENTICATOR = 80,
	RADIUS_ATTR_TUNNEL_PRIVATE_GROUP_ID = 81,
	RADIUS_ATTR_ACCT_INTERIM_INTERVAL = 85,
	RADIUS_ATTR_NAS_PORT_ID = 87,
	RADIUS_ATTR_CHARGEABLE_USER_IDENTITY = 89,
	RADIUS_ATTR_NAS_IPV6_ADDRESS = 95,
	RADIUS_ATTR_ERROR_CAUSE = 101,
};

#define RADIUS_NAS_PORT_TYPE_ETHERNET     15 /* RFC 3580 §3.19 */
#define RADIUS_SERVICE_TYPE_FRAMED        2
#define RADIUS_SERVICE_TYPE_CALL_CHECK    10 /* MAC RADIUS (RFC 3580 §3.21) */
#define RADIUS_TERMINATION_DEFAULT        0
#define RADIUS_TERMINATION_RADIUS_REQUEST 1  /* re-authenticate at Session-Timeout */
#define RADIUS_TUNNEL_TYPE_VLAN           13 /* RFC 3580 §3.31 */
#define RADIUS_TUNNEL_MEDIUM_802          6
#define RADIUS_FRAMED_MTU_ETHERNET        1500 /* RFC 3580 §3.10 */

enum radius_acct_status {
	RADIUS_ACCT_START = 1,
	RADIUS_ACCT_STOP = 2,
	RADIUS_ACCT_INTERIM = 3,
	RADIUS_ACCT_ON = 7,
	RADIUS_ACCT_OFF = 8,
};

/* RFC 2866 §5.10 with RFC 3580 §3.16's 802.1X meanings. */
enum radius_term_cause {
	RADIUS_TERM_USER_REQUEST = 1, /* EAPOL-Logoff */
	RADIUS_TERM_LOST_CARRIER = 2, /* port down */
	RADIUS_TERM_IDLE_TIMEOUT = 4,
	RADIUS_TERM_SESSION_TIMEOUT = 5, /* Session-Timeout without RADIUS-Request */
	RADIUS_TERM_ADMIN_RESET = 6,     /* force-unauthorized, clear dot1x */
	RADIUS_TERM_NAS_REQUEST = 10,
	RADIUS_TERM_NAS_REBOOT = 11,
	RADIUS_TERM_SERVICE_UNAVAILABLE = 15,
	RADIUS_TERM_SUPPLICANT_RESTART = 19,
	RADIUS_TERM_REAUTH_FAILURE = 20,
	RADIUS_TERM_PORT_REINIT = 21,
	RADIUS_TERM_PORT_DISABLED = 22,
};

enum radius_err {
	RADIUS_OK = 0,
	RADIUS_ERR_SHORT,         /* fewer than 20 bytes */
	RADIUS_ERR_LENGTH,        /* Length < 20, > 4096 or past the datagram */
	RADIUS_ERR_ATTR,          /* attribute length < 2 or past Length */
	RADIUS_ERR_CODE,          /* a code this call does not take */
	RADIUS_ERR_MA_MISSING,    /* no Message-Authenticator where keel requires one */
	RADIUS_ERR_MA_LEN,        /* Message-Authenticator length != 18 */
	RADIUS_ERR_MA_BAD,        /* Message-Authenticator does not verify */
	RADIUS_ERR_AUTHENTICATOR, /* Response/Request Authenticator does not verify */
	RADIUS_ERR_DUP,           /* a second copy of an attribute the RFCs allow once */
	RADIUS_ERR_PROXY_STATE,   /* Proxy-State in a reply to a request that carried none */
	RADIUS_ERR_EAP,           /* EAP-Message reassembly: EAP Length disagrees */
	RADIUS_ERR_VALUE,         /* attribute value of the wrong size or out of range */
	RADIUS_ERR_NO_SPACE,      /* encoder: the message exceeds the buffer or 4096 bytes */
	RADIUS_ERR_ARG,           /* encoder: a field out of range */
	RADIUS_ERR_CRYPTO,        /* MD5/HMAC failed (OpenSSL) */
	RADIUS_ERR_COUNT,
};

/* A structurally valid message (RFC 2865 §3, §5): header and a bounded TLV walk. */
struct radius_pkt {
	const uint8_t *buf; /* the message (borrowed), `length` bytes */
	uint16_t length;    /* Length field; datagram bytes past it are padding (§3) */
	uint8_t code;
	uint8_t id;
	const uint8_t *auth; /* buf + 4: the 16-byte authenticator */
	uint16_t ma_off;     /* offset of the Message-Authenticator value; 0 = absent */
	uint16_t ma_index;   /* its position among the attributes (0 = first) */
	uint16_t nattrs;
	uint16_t count[256]; /* attributes per type */
};

/* Walk the attributes of a decoded message in order. */
struct radius_attr_iter {
	const struct radius_pkt *p;
	size_t off;
};

/* What a server said in an Accept/Reject/Challenge (RFC 2865, 2868, 3579, 3580). */
struct radius_vlan {
	bool present;
	uint8_t tag;  /* RFC 2868 tag the VLAN came with (0 = untagged) */
	uint16_t vid; /* 1..4094 when the group id is a number, else 0 (a VLAN name) */
	char name[RADIUS_ATTR_MAX + 1]; /* Tunnel-Private-Group-ID as a string */
};

struct radius_bytes {
	uint8_t len;
	uint8_t val[RADIUS_ATTR_MAX];
};

struct radius_reply {
	uint8_t code;
	uint8_t id;
	uint8_t eap[RADIUS_MAX_LEN]; /* reassembled EAP-Message (RFC 3579 §3.1) */
	size_t eap_len;              /* 0 = no EAP-Message */
	struct radius_bytes state;   /* State (24), echoed in the next Access-Request */
	struct radius_bytes class_[RADIUS_CLASS_MAX]; /* Class (25), echoed in accounting */
	size_t nclass;
	bool has_session_timeout;
	uint32_t session_timeout;
	bool has_termination_action;
	uint32_t termination_action;
	bool has_idle_timeout;
	uint32_t idle_timeout;
	bool has_interim_interval;
	uint32_t interim_interval;
	struct radius_vlan vlan;
	struct radius_bytes reply_message; /* the first Reply-Message, for logs */
	bool has_user_name;
	struct radius_bytes user_name;
};

/* Message builder: header, Message-Authenticator first, attributes, then radius_msg_finish. */
struct radius_msg {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t ma_off; /* 0 = no Message-Authenticator */
	bool err;
};

struct radius_access_req {
	uint8_t id;
	uint8_t auth[RADIUS_AUTH_LEN]; /* Request Authenticator: crypto_random() per new request */
	const uint8_t *user_name;      /* required, 1..253 bytes */
	size_t user_name_len;
	const uint8_t *password; /* PAP/MAB: User-Password (hidden, RFC 2865 §5.2) */
	size_t password_len;     /* 1..128; 0 = no User-Password */
	const uint8_t *eap;      /* EAP-Message content, fragmented into 253-byte pieces */
	size_t eap_len;
	const uint8_t *state; /* State from the last Challenge */
	size_t state_len;
	uint32_t service_type;      /* 0 = omit */
	const char *nas_identifier; /* NULL = omit */
	bool has_nas_ip;
	uint8_t nas_ip[4];
	bool has_nas_ipv6;
	uint8_t nas_ipv6[16];
	bool has_nas_port;
	uint32_t nas_port;
	const char *nas_port_id; /* the interface name (RFC 3580 §3.20); NULL = omit */
	bool has_calling;
	uint8_t calling_mac[6]; /* supplicant MAC (RFC 3580 §3.21) */
	bool has_called;
	uint8_t called_mac[6];       /* port/bridge MAC (RFC 3580 §3.20) */
	uint32_t framed_mtu;         /* 0 = omit; 1500 on Ethernet */
	const char *acct_session_id; /* RFC 3580 §3.1 allows it in Access-Request; NULL = omit */
};

struct radius_acct_req {
	uint8_t id;
	uint8_t status_type;    /* enum radius_acct_status */
	const char *session_id; /* Acct-Session-Id, required */
	const uint8_t *user_name;
	size_t user_name_len;
	const char *nas_identifier;
	bool has_nas_ip;
	uint8_t nas_ip[4];
	bool has_nas_port;
	uint32_t nas_port;
	const char *nas_port_id;
	bool has_calling;
	uint8_t calling_mac[6];
	bool has_called;
	uint8_t called_mac[6];
	const struct radius_bytes *class_; /* echoed Class attributes (RFC 2865 §5.25) */
	size_t nclass;
	uint32_t acct_authentic; /* 1 RADIUS, 2 Local, 3 Remote; 0 = omit */
	uint32_t session_time;   /* Interim/Stop */
	/* Interim/Stop: the traffic counters, sent only when known (has_traffic); a session
	 * whose data plane counts nothing for it carries Session-Time alone. */
	bool has_traffic;
	uint64_t in_octets, out_octets;
	uint32_t in_packets, out_packets;
	uint32_t terminate_cause; /* Stop only; enum radius_term_cause */
	uint32_t delay_time;      /* Acct-Delay-Time (retransmissions raise it: new ID) */
	uint32_t event_timestamp; /* 0 = omit */
};

/* A CoA-Request or Disconnect-Request (RFC 5176 §3), verified. */
struct radius_das_req {
	uint8_t code;
	uint8_t id;
	uint8_t auth[RADIUS_AUTH_LEN]; /* to sign the ACK/NAK */
	bool has_ma;
	bool has_user_name;
	struct radius_bytes user_name;
	bool has_calling;
	uint8_t calling_mac[6]; /* Calling-Station-Id parsed as a MAC */
	struct radius_bytes nas_port_id;
	bool has_nas_port_id;
	struct radius_bytes acct_session_id;
	bool has_acct_session_id;
	struct radius_bytes nas_identifier;
	bool has_nas_identifier;
	bool has_nas_ip;
	uint8_t nas_ip[4];
	bool has_event_timestamp;
	uint32_t event_timestamp; /* replay window check is the caller's (RFC 5176 §4.2) */
	bool has_session_timeout;
	uint32_t session_timeout;
	bool has_termination_action;
	uint32_t termination_action;
	struct radius_vlan vlan; /* CoA with Tunnel attributes: move the session */
	bool has_state;
	struct radius_bytes state;
	uint16_t unsupported_attr; /* first attribute keel cannot act on (Error-Cause 401) */
};

enum radius_err radius_decode(const uint8_t *buf, size_t len, struct radius_pkt *out);
void radius_attr_iter_init(struct radius_attr_iter *it, const struct radius_pkt *p);
bool radius_attr_next(struct radius_attr_iter *it, uint8_t *type, const uint8_t **val,
                      uint8_t *len);

/*
 * Verify a reply to an Access-Request whose authenticator was req_auth: Message-Authenticator
 * required (BlastRADIUS, CVE-2024-3596), checked before the Response Authenticator
 * (RFC 3579 §3.2), no Proxy-State (keel never sends one), then parse it into *out.
 */
enum radius_err radius_reply_parse(const struct radius_pkt *p,
                                   const uint8_t req_auth[RADIUS_AUTH_LEN], const void *secret,
                                   size_t secret_len, struct radius_reply *out);
/* Accounting-Response: Response Authenticator only (RFC 2866 §3), M-A checked if present. */
enum radius_err radius_acct_response_verify(const struct radius_pkt *p,
                                            const uint8_t req_auth[RADIUS_AUTH_LEN],
                                            const void *secret, size_t secret_len);
/* Building blocks, exposed for tests and for the fuzz target. */
enum radius_err radius_verify_response_auth(const struct radius_pkt *p,
                                            const uint8_t req_auth[RADIUS_AUTH_LEN],
                                            const void *secret, size_t secret_len);
/* auth16: the authenticator the HMAC is computed with (request's, or zeros). */
enum radius_err radius_verify_ma(const struct radius_pkt *p, const uint8_t auth16[16],
                                 const void *secret, size_t secret_len);
/* RFC 5176 §3 / RFC 2866 §3: Request Authenticator over zeros, M-A if present. */
enum radius_err radius_verify_request_auth(const struct radius_pkt *p, const void *secret,
                                           size_t secret_len);
enum radius_err radius_das_parse(const struct radius_pkt *p, const void *secret, size_t secret_len,
                                 struct radius_das_req *out);

/* Builder. begin writes the header and, when with_ma, a zeroed Message-Authenticator first. */
void radius_msg_begin(struct radius_msg *m, uint8_t *buf, size_t cap, uint8_t code, uint8_t id,
                      const uint8_t auth[RADIUS_AUTH_LEN], bool with_ma);
void radius_msg_attr(struct radius_msg *m, uint8_t type, const void *val, size_t len);
void radius_msg_attr_u32(struct radius_msg *m, uint8_t type, uint32_t v);
void radius_msg_attr_str(struct radius_msg *m, uint8_t type, const char *s);
/* RFC 3579 §3.1: split into as many 253-byte EAP-Message attributes as needed. */
void radius_msg_attr_eap(struct radius_msg *m, const uint8_t *eap, size_t len);
/* RFC 2865 §5.2 User-Password, hidden with the authenticator already in the header. */
void radius_msg_attr_password(struct radius_msg *m, const void *secret, size_t secret_len,
                              const uint8_t *pw, size_t pw_len);
/*
 * Sets Length, then signs by code: Access-Request/Status-Server keep their random
 * authenticator and fill M-A; Accounting/CoA/Disconnect requests fill M-A over a zero
 * authenticator then set the authenticator to MD5(packet | secret); replies put req_auth in,
 * fill M-A, then set the Response Authenticator.
 */
enum radius_err radius_msg_finish(struct radius_msg *m, const void *secret, size_t secret_len,
                                  const uint8_t req_auth[RADIUS_AUTH_LEN], size_t *outlen);

enum radius_err radius_access_request_encode(const struct radius_access_req *r, const void *secret,
                                             size_t secret_len, uint8_t *buf, size_t cap,
                                             size_t *outlen);
/*
 * RFC 5997 §3 Status-Server to the authentication port (server-fail detection without a
 * user): M-A first (required there), NAS-Identifier when given. The reply is an
 * Access-Accept for radius_reply_parse().
 */
enum radius_err radius_status_server_encode(uint8_t id, const uint8_t auth[RADIUS_AUTH_LEN],
                                            const char *nas_identifier, const void *secret,
                                            size_t secret_len, uint8_t *buf, size_t cap,
                                            size_t *outlen);
/* The packet's authenticator is computed; it is at buf + 4 afterwards (for the response). */
enum radius_err radius_acct_request_encode(const struct radius_acct_req *r, const void *secret,
                                           size_t secret_len, uint8_t *buf, size_t cap,
                                           size_t *outlen);
/* CoA/Disconnect ACK or NAK (RFC 5176 §3.5), Error-Cause when non-zero. */
enum radius_err radius_das_response_encode(uint8_t code, uint8_t id,
                                           const uint8_t req_auth[RADIUS_AUTH_LEN],
                                           uint32_t error_cause, const void *secret,
                                           size_t secret_len, uint8_t *buf, size_t cap,
                                           size_t *outlen);

/* RFC 2865 §5.2 hiding and its reverse; out holds the padded length (multiple of 16). */
enum radius_err radius_password_hide(const void *secret, size_t secret_len,
                                     const uint8_t auth[RADIUS_AUTH_LEN], const uint8_t *pw,
                                     size_t pw_len, uint8_t *out, size_t *out_len);
enum radius_err radius_password_unhide(const void *secret, size_t secret_len,
                                       const uint8_t auth[RADIUS_AUTH_LEN], const uint8_t *in,
                                       size_t in_len, uint8_t *out, size_t *out_len);

/* RFC 3580 §3.21: "00-10-A4-23-19-C0". */
void radius_mac_format(const uint8_t mac[6], char out[RADIUS_MAC_STR_LEN]);
/* Accepts "-", ":" or "." separated or bare hex (12 digits), any case; true on success. */
bool radius_mac_parse(const uint8_t *s, size_t len, uint8_t mac[6]);
const char *radius_err_name(enum radius_err e);
const char *radius_code_name(uint8_t code);

/* ================================================================== LLDP */

enum lldp_err {
	LLDP_OK,
	LLDP_ERR_SHORT,     /* the frame ends inside a header or a TLV header */
	LLDP_ERR_ETHERTYPE, /* not 0x88CC */
	LLDP_ERR_SRC,       /* a group source address: no host sends from one */
	LLDP_ERR_TLV_LEN,   /* a TLV longer than the frame or of a length its type forbids */
	LLDP_ERR_MANDATORY, /* Chassis ID, Port ID, TTL not first, in order, once each */
	LLDP_ERR_MED,       /* more than one LLDP-MED Capabilities TLV */
	LLDP_ERR_COUNT
};

enum { LLDP_MED_CLASS_I = 1, LLDP_MED_CLASS_II = 2, LLDP_MED_CLASS_III = 3 };

/* What lldp-med-bypass needs of an LLDPDU. */
struct lldp_info {
	uint8_t dst[6], src[6];
	uint16_t ttl;      /* seconds; 0 = the sender is leaving */
	bool med;          /* an LLDP-MED Capabilities TLV came */
	uint16_t med_caps; /* its capability bits */
	uint8_t med_class; /* its Device Type */
};

/* A whole Ethernet frame (untagged) as AF_PACKET reads it. */
enum lldp_err lldp_frame_decode(const uint8_t *frame, size_t len, struct lldp_info *out);
/* An LLDP-MED endpoint (class I, II or III), not a network device. */
bool lldp_med_endpoint(const struct lldp_info *l);
const char *lldp_err_name(enum lldp_err e);

#endif

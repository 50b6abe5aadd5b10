clusterd_PKGS := libevent_openssl

telemetryd_PKGS := libyang grpc libcrypt

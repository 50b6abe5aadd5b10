telemetryd_PKGS := libyang

mgd_PKGS := libyang

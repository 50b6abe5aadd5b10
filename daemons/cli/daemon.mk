cli_PKGS := libedit

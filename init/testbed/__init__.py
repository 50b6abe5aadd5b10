"""keel testbed builder: topology files -> namespaces, veths, switches, keel nodes.

Used by init/keel-testbed (the command), tests/topo/conftest.py and init/demo.sh.
"""

from .build import (  # noqa: F401
    STATE_ROOT,
    Testbed,
    TestbedError,
    default_bin_dir,
    down_all,
    list_testbeds,
    netns_list,
    new_id,
    state_dir_for,
    up,
)
from .ctl import CtlError, ctl_call, daemon_info  # noqa: F401
from .topology import Topology, TopologyError, load, parse  # noqa: F401

__all__ = [
    "STATE_ROOT", "Testbed", "TestbedError", "default_bin_dir", "down_all", "list_testbeds",
    "netns_list", "new_id", "state_dir_for", "up", "CtlError", "ctl_call", "daemon_info",
    "Topology", "TopologyError", "load", "parse",
]

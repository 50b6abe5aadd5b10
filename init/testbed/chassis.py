"""The chassis identity "EEPROM" record (platform/chassis/chassis.h, format version 1).

keel-testbed writes it for nodes whose topology entry has `chassis = {...}`, so that
clusterd and mgd find their cluster identity at start, as `set chassis cluster
cluster-id N node M` in operational mode would have left it.
"""

import os
import struct
import zlib


def eeprom_record(cluster_id, node_id, serial=""):
    """The 64-byte record: magic, version, length, ids, base MAC, serial, CRC-32."""
    body = (b"KEEL" + bytes([1, 0]) + struct.pack(">H", 64) + bytes([cluster_id, node_id])
            + bytes(6) + serial.encode().ljust(32, b"\0")[:32] + bytes(12))
    assert len(body) == 60
    return body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def write_eeprom(root, cluster_id, node_id, serial=""):
    """Writes ROOT/var/lib/keel/chassis.eeprom atomically."""
    d = os.path.join(root, "var", "lib", "keel")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "chassis.eeprom")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(eeprom_record(cluster_id, node_id, serial))
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)

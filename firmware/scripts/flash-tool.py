#!/usr/bin/env python3
"""Reads and corrupts a device's flash file (the 16 MiB file device-qemu.sh maps into the
guest), for the failure tests of firmware/scripts/device-failures.sh.

The layout mirrors firmware/device/src/device.h ("persistent store"); every command first
checks that the record it touches is valid by that layout (magic and CRC-32), so a layout that
drifted from the firmware's fails the test instead of corrupting the wrong bytes.

  flash-tool.py FILE show
  flash-tool.py FILE corrupt FIELD [SLOT]
FIELD: size, cfg_len, name_nul, module, header_crc, torn (a slot's), key_len, cert_len
(the identity's). Fields other than module/header_crc/torn get a bad value with a correct
CRC, so only the range check can catch them.
"""
import struct
import sys
import zlib

SLOTS = 4
MODULE_MAX = 16 * 1024
STORE_MAGIC, SLOT_MAGIC = 0x4C465742, 0x544F4C53
# store_slot: magic, name[64], sha256[32], size, state, mem_bytes, fuel, period_ms,
# max_restarts, cfg_len, cfg[512], crc
SLOT = {"name": 4, "sha256": 68, "size": 100, "state": 104, "cfg_len": 124, "cfg": 128, "crc": 640}
# store_identity: magic, version, key_len, cert_len, cert_not_after (u64), key[128], cert[2048], crc
IDENT = {"key_len": 8, "cert_len": 12, "crc": 2200}


def slot_off(i):
    return 0x2000 + i * (1024 + MODULE_MAX)


def u32(buf, off):
    return struct.unpack_from("<I", buf, off)[0]


def put32(buf, off, v):
    struct.pack_into("<I", buf, off, v)


def crc_ok(buf, base, crc_at):
    return u32(buf, base + crc_at) == zlib.crc32(bytes(buf[base + 4 : base + crc_at]))


def reseal(buf, base, crc_at):
    put32(buf, base + crc_at, zlib.crc32(bytes(buf[base + 4 : base + crc_at])))


def need_slot(buf, i):
    b = slot_off(i)
    if u32(buf, b) != SLOT_MAGIC or not crc_ok(buf, b, SLOT["crc"]):
        sys.exit(f"flash-tool: slot {i} holds no valid record (layout drifted from device.h?)")
    return b


def need_identity(buf):
    if u32(buf, 0) != STORE_MAGIC or not crc_ok(buf, 0, IDENT["crc"]):
        sys.exit("flash-tool: no valid identity record (layout drifted from device.h?)")


def show(buf):
    ok = u32(buf, 0) == STORE_MAGIC and crc_ok(buf, 0, IDENT["crc"])
    print(f"identity: {'valid' if ok else 'invalid'} key_len {u32(buf, 8)} cert_len {u32(buf, 12)}")
    for i in range(SLOTS):
        b = slot_off(i)
        if u32(buf, b) != SLOT_MAGIC:
            print(f"slot {i}: empty")
            continue
        name = bytes(buf[b + 4 : b + 68]).split(b"\0")[0].decode(errors="replace")
        print(f"slot {i}: {name} size {u32(buf, b + 100)} crc {'ok' if crc_ok(buf, b, SLOT['crc']) else 'BAD'}")


def corrupt(buf, field, slot):
    if field in ("key_len", "cert_len"):
        need_identity(buf)
        put32(buf, IDENT[field], 0x10000)
        reseal(buf, 0, IDENT["crc"])
        return
    b = need_slot(buf, slot)
    size = u32(buf, b + SLOT["size"])
    if field == "size":
        put32(buf, b + SLOT["size"], 0x100000)
    elif field == "cfg_len":
        put32(buf, b + SLOT["cfg_len"], 0x100000)
    elif field == "name_nul":
        buf[b + SLOT["name"] : b + SLOT["name"] + 64] = b"n" * 64
    elif field == "module":  # the bytes change, the header (and its SHA-256) does not
        buf[b + 1024 + size // 2] ^= 0x01
        return
    elif field == "header_crc":  # a field changed without its checksum
        buf[b + SLOT["state"]] ^= 0x01
        return
    elif field == "torn":
        # store_slot_install stopped after erasing the header and writing half the new module
        put32(buf, b, 0)
        for k in range(size // 2):
            buf[b + 1024 + k] ^= 0x5A
        return
    else:
        sys.exit(f"flash-tool: no field {field}")
    reseal(buf, b, SLOT["crc"])


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    path, cmd = argv[1], argv[2]
    with open(path, "r+b") as f:
        buf = bytearray(f.read(slot_off(SLOTS)))
        if cmd == "show":
            show(buf)
            return
        if cmd != "corrupt" or len(argv) < 4:
            sys.exit(__doc__)
        corrupt(buf, argv[3], int(argv[4]) if len(argv) > 4 else 0)
        f.seek(0)
        f.write(buf)


if __name__ == "__main__":
    main(sys.argv)

"""How ``esbuild-go1.16.elf.gz`` was made (kept for the record; the tests do not run it).

The fixture is a real Go 1.16 executable in the pre-1.18 *pointer* build-info format: the ``esbuild``
binary of the npm package ``esbuild-linux-64@0.8.57`` (MIT licence), obtained with
``npm pack esbuild-linux-64@0.8.57``.  Everything except the bytes a build-info reader needs -- the first
page (ELF header, program and section headers, build id note), the section name table, the
``.go.buildinfo`` section, the two Go string headers it points to and the two strings -- is overwritten
with zeros, so that the file keeps its real layout but compresses to a few KB.  ``go version -m`` of
the original binary is kept beside it (``esbuild-go1.16.go-version-m.txt``).

Usage: python make_go116_fixture.py path/to/esbuild OUT.elf.gz
"""

from __future__ import annotations

import gzip
import re
import struct
import subprocess
import sys


def main(src: str, out: str) -> None:
    with open(src, "rb") as fh:
        data = bytearray(fh.read())
    keep = bytearray(len(data))
    sections: dict[str, tuple[int, int, int]] = {}
    listing = subprocess.run(["readelf", "-S", "-W", src], capture_output=True, text=True, check=True).stdout
    for m in re.finditer(r"\]\s+(\.\S+)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", listing):
        sections[m.group(1)] = (int(m.group(2), 16), int(m.group(3), 16), int(m.group(4), 16))

    def span(off: int, size: int) -> None:
        keep[off : off + size] = data[off : off + size]

    def offset(addr: int) -> int:
        for a, o, s in sections.values():
            if a and a <= addr < a + s:
                return o + addr - a
        raise SystemExit(f"address {addr:#x} in no section")

    span(0, 0x1000)
    _, off, size = sections[".shstrtab"]
    span(off, size)
    _, bi, size = sections[".go.buildinfo"]
    span(bi, size)
    for ptr in struct.unpack_from("<QQ", data, bi + 16):
        hdr = offset(ptr)
        span(hdr, 16)
        sptr, slen = struct.unpack_from("<QQ", data, hdr)
        span(offset(sptr), slen)
    with gzip.open(out, "wb", compresslevel=9) as fh:
        fh.write(bytes(keep))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

#!/usr/bin/python3
"""Extract the kernel's raw BTF blob from a Debian /boot/vmlinuz-* image.

Usage: extract_btf.py VMLINUZ OUT.btf

Used by bpf/vmlinux/generate.sh. Standard library only; a zstd, lz4 or lzo
payload is decompressed with the zstd, lz4 or lzop command.

Layouts handled:
  - x86 bzImage (amd64): the boot setup header gives the offset and length of
    the compressed kernel; Debian's 6.12 uses zstd. The kernel build appends
    the uncompressed size as a little-endian u32, which is checked and cut off.
  - arm64 Image, plain (what Debian's signed arm64 package ships: an
    uncompressed PE/EFI Image with the BTF in it).
  - arm64 Image.gz, and the EFI zboot wrapper ("MZ" ... "zimg", payload offset
    and size at 8/12, compression name at 24).
  - a bare gzip/xz/zstd/lz4/bzip2/lzma/lzo stream, or an uncompressed vmlinux.

The BTF blob is found by scanning for its header: magic 0xeB9F (little
endian), version 1, hdr_len 24, type and string sections that are aligned,
non-empty, inside the buffer, with a string section that starts and ends
with a NUL. The largest such blob wins (vmlinux BTF is several MiB).
"""

import bz2
import lzma
import re
import shutil
import struct
import subprocess
import sys
import zlib

BTF_MAGIC = b"\x9f\xeb"  # 0xeB9F little endian
BTF_HDR = struct.Struct("<HBBIIIII")  # magic version flags hdr_len type_off type_len str_off str_len
MIN_VMLINUX_BTF = 1 << 20


def log(msg):
    print(f"  extract_btf: {msg}", file=sys.stderr, flush=True)


def die(msg):
    print(f"extract_btf: error: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def u32(buf, off):
    return struct.unpack_from("<I", buf, off)[0]


def run_decompressor(tool, args, data, what):
    path = shutil.which(tool)
    if path is None:
        die(f"the {what} payload needs the '{tool}' command: apt-get install {tool}")
    proc = subprocess.run([path, *args], input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        return None, proc.stderr.decode(errors="replace").strip()
    return proc.stdout, None


def strip_size_trailer(data):
    """The kernel's build appends the uncompressed size (le32) to most payloads."""
    if len(data) > 8:
        return data[:-4], u32(data, len(data) - 4)
    return data, None


def decompress(data, kind):
    """Decompress a kernel payload of the given kind. Returns bytes or dies."""
    if kind == "gzip":
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = d.decompress(data)
        if not d.eof:
            die("gzip payload is truncated")
        return out
    if kind == "xz":
        d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
        return d.decompress(data)
    if kind == "lzma":
        d = lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
        return d.decompress(data)
    if kind == "bzip2":
        d = bz2.BZ2Decompressor()
        return d.decompress(data)
    tools = {"zstd": ("zstd", ["-dcq"]), "lz4": ("lz4", ["-dcq"]), "lzo": ("lzop", ["-dcq"])}
    if kind not in tools:
        die(f"unsupported compression '{kind}'")
    tool, args = tools[kind]
    # First as is; if the tool rejects trailing bytes, without the size trailer.
    out, err = run_decompressor(tool, args, data, kind)
    if out is None:
        body, size = strip_size_trailer(data)
        out, err2 = run_decompressor(tool, args, body, kind)
        if out is None:
            die(f"{tool} could not decompress the payload: {err} / {err2}")
        if size is not None and size != len(out):
            log(f"note: size trailer says {size} bytes, got {len(out)}")
    return out


def sniff(data):
    """Compression format of a stream starting at data[0], or None."""
    if data[:2] == b"\x1f\x8b":
        return "gzip"
    if data[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if data[:4] in (b"\x02\x21\x4c\x18", b"\x04\x22\x4d\x18"):
        return "lz4"
    if data[:3] == b"BZh":
        return "bzip2"
    if data[:4] == b"\x89LZO":
        return "lzo"
    if data[:3] == b"\x5d\x00\x00":
        return "lzma"
    return None


def unwrap(data, label, depth=0):
    """Yield (label, buffer) for the image and every layer inside it."""
    yield label, data
    if depth > 3:
        return
    # x86 bzImage: "HdrS" at 0x202, boot protocol >= 2.08 has payload_offset/length.
    if len(data) > 0x250 and data[0x202:0x206] == b"HdrS":
        version = struct.unpack_from("<H", data, 0x206)[0]
        if version < 0x208:
            die(f"bzImage boot protocol {version:#x} has no payload fields (needs 2.08+)")
        setup_sects = data[0x1F1] or 4
        pm_start = (setup_sects + 1) * 512
        off, length = struct.unpack_from("<II", data, 0x248)
        payload = data[pm_start + off:pm_start + off + length]
        if len(payload) != length:
            die("bzImage payload runs past the end of the file")
        kind = sniff(payload)
        if kind is None:
            die(f"bzImage payload has an unknown format (starts {payload[:8].hex()})")
        log(f"bzImage (boot protocol {version >> 8}.{version & 0xff:02d}): "
            f"{kind} payload of {length} bytes at {pm_start + off:#x}")
        raw = decompress(payload, kind)
        log(f"decompressed to {len(raw)} bytes" + (" (ELF vmlinux)" if raw[:4] == b"\x7fELF" else ""))
        yield from unwrap(raw, f"{label} -> {kind}", depth + 1)
        return
    # EFI zboot (arm64/riscv CONFIG_EFI_ZBOOT): "MZ", "zimg" at 4.
    if data[:2] == b"MZ" and data[4:8] == b"zimg":
        off, size = u32(data, 8), u32(data, 12)
        kind = data[24:32].split(b"\0", 1)[0].decode(errors="replace")
        payload = data[off:off + size]
        log(f"EFI zboot image: {kind} payload of {size} bytes at {off:#x}")
        raw = decompress(payload, sniff(payload) or kind)
        yield from unwrap(raw, f"{label} -> zboot/{kind}", depth + 1)
        return
    kind = sniff(data)
    if kind is not None:
        log(f"{label} is a {kind} stream")
        raw = decompress(data, kind)
        yield from unwrap(raw, f"{label} -> {kind}", depth + 1)


def btf_candidates(buf):
    """Every offset in buf where a plausible BTF header starts, with its total size."""
    n = len(buf)
    pos = buf.find(BTF_MAGIC)
    while pos != -1:
        if pos + BTF_HDR.size <= n:
            magic, version, flags, hdr_len, type_off, type_len, str_off, str_len = \
                BTF_HDR.unpack_from(buf, pos)
            body = pos + hdr_len
            if (version == 1 and hdr_len == 24 and flags == 0
                    and type_len > 0 and str_len > 0
                    and type_off % 4 == 0 and type_len % 4 == 0 and str_off % 4 == 0
                    and (type_off + type_len <= str_off or str_off + str_len <= type_off)
                    and body + type_off + type_len <= n
                    and body + str_off + str_len <= n
                    and buf[body + str_off] == 0
                    and buf[body + str_off + str_len - 1] == 0):
                total = hdr_len + max(type_off + type_len, str_off + str_len)
                yield pos, total, type_len, str_len
        pos = buf.find(BTF_MAGIC, pos + 1)


def elf_btf_section(buf):
    """(offset, size) of the .BTF section of a 64-bit little-endian ELF, or None."""
    if buf[:4] != b"\x7fELF" or buf[4] != 2 or buf[5] != 1:
        return None
    shoff = struct.unpack_from("<Q", buf, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", buf, 0x3A)
    if shoff == 0 or shoff + shnum * shentsize > len(buf):
        return None
    def sh(i):
        return struct.unpack_from("<IIQQQQIIQQ", buf, shoff + i * shentsize)
    strtab = sh(shstrndx)
    for i in range(shnum):
        name, _t, _f, _a, off, size = sh(i)[:6]
        start = strtab[4] + name
        if buf[start:start + 5] == b".BTF\0":
            return off, size
    return None


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    src, dst = sys.argv[1], sys.argv[2]
    try:
        with open(src, "rb") as f:
            image = f.read()
    except OSError as e:
        die(f"cannot read {src}: {e}")
    log(f"{src}: {len(image)} bytes")
    for label, buf in unwrap(image, "vmlinuz"):
        found = sorted(btf_candidates(buf), key=lambda c: c[1], reverse=True)
        if not found:
            continue
        pos, total, type_len, str_len = found[0]
        if total < MIN_VMLINUX_BTF:
            log(f"{label}: only a small BTF-like blob ({total} bytes at {pos:#x}), looking deeper")
            continue
        extra = f" ({len(found) - 1} smaller candidate(s) ignored)" if len(found) > 1 else ""
        log(f"{label}: BTF at {pos:#x}, {total} bytes "
            f"(types {type_len}, strings {str_len}){extra}")
        sec = elf_btf_section(buf)
        if sec is not None:
            if sec != (pos, total):
                die(f"scan found BTF at {pos:#x}+{total} but the ELF .BTF section is "
                    f"{sec[0]:#x}+{sec[1]}")
            log("matches the ELF .BTF section")
        m = re.search(rb"Linux version [^\0\n]{1,200}", buf)
        if m:
            log(m.group(0).decode(errors="replace"))
        with open(dst, "wb") as f:
            f.write(buf[pos:pos + total])
        return
    die(f"no BTF found in {src} (kernel built without CONFIG_DEBUG_INFO_BTF, "
        "or an image layout this script does not know)")


if __name__ == "__main__":
    main()

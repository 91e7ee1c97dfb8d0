"""Run ``chokepoint`` on every hostile input of issue 11 and check each is refused cheaply.

Usage::

    python benchmarks/hostile.py            # every input, full size (about a minute)
    python benchmarks/hostile.py --only zip # the inputs whose name contains "zip"

Each input is built in a temporary folder, then ``chokepoint validate`` (and, where the issue
saw the cost after validation, ``chokepoint analyze -f json``) runs in a process of its own. The
table gives the exit code, the wall time, the peak resident memory of that process
(``os.wait4``) and the first line of its stderr. The script exits 1 when any run exits other
than 2, takes more than 10 s or peaks above 512 MB.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

LIMIT_SECONDS = 10.0
LIMIT_MB = 512.0
KILL_AFTER = 60.0

HEADER = {
    "format": 1,
    "name": "net",
    "title": "Hostile network",
    "perspective": "CN",
    "year": 2020,
    "stages": ["up", "down"],
    "sources": {"s": {"title": "Test figures", "publisher": "tests", "year": 2025}},
}
MINI_YAML = """format: 1
name: mini
title: Mini
perspective: CN
year: 2020
stages: [up, down]
sources:
  s: {title: Figures, publisher: tests, year: 2025}
nodes:
  - id: ore
    name: Ore
    stage: up
    shares: {CN: 0.3, AU: 0.7}
    source: s
  - id: chips
    name: Chips
    stage: down
    inputs: [{node: ore, cost_share: 0.2}]
"""
TABLES = {
    "chain.json": json.dumps(HEADER),
    "nodes.csv": "id,name,stage\nore,Ore,up\nchips,Chips,down\n",
    "shares.csv": "node,origin,share,source\nore,CN,0.3,s\nore,AU,0.7,s\n",
    "edges.csv": "input,node,cost_share,essential\nore,chips,0.2,\n",
}

Builder = Callable[[Path], tuple[list[str], dict[str, str]]]


def _zip(path: Path, files: dict[str, str], folder: str = "net/") -> bytearray:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(folder + name, text)
    return bytearray(buffer.getvalue())


def _headers(data: bytearray, signature: bytes) -> list[int]:
    found, at = [], data.find(signature)
    while at >= 0:
        found.append(at)
        at = data.find(signature, at + 4)
    return found


def yaml_big_integer(tmp: Path) -> tuple[list[str], dict[str, str]]:
    path = tmp / "bigint.yaml"
    path.write_text(MINI_YAML.replace("CN: 0.3", "CN: 1" + "0" * 400), encoding="utf-8")
    return [str(path)], {}


def yaml_superscript_year(tmp: Path) -> tuple[list[str], dict[str, str]]:
    path = tmp / "year.yaml"
    text = MINI_YAML.replace("    source: s\n", "    history: {'²': {CN: 0.5}}\n    source: s\n", 1)
    path.write_text(text, encoding="utf-8")
    return [str(path)], {}


def json_long_integer(tmp: Path) -> tuple[list[str], dict[str, str]]:
    node = {"id": "a", "name": "A", "stage": "up", "shares": {"CN": 1}, "source": "s", "year": 2020}
    document = {**HEADER, "nodes": [node]}
    path = tmp / "digits.json"
    path.write_text(json.dumps(document).replace('"year": 2020}', '"year": ' + "7" * 5000 + "}"))
    return [str(path)], {}


def csv_long_integer(tmp: Path) -> tuple[list[str], dict[str, str]]:
    folder = tmp / "digits"
    folder.mkdir()
    for name, text in TABLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "nodes.csv").write_text(
        "id,name,stage,year\nore,Ore,up," + "9" * 5000 + "\nchips,Chips,down,\n"
    )
    return [str(folder)], {}


def env_long_integer(tmp: Path) -> tuple[list[str], dict[str, str]]:
    path = tmp / "mini.yaml"
    path.write_text(MINI_YAML, encoding="utf-8")
    return [str(path)], {"CHOKEPOINT_MAX_BYTES": "9" * 5000}


def env_superscript(tmp: Path) -> tuple[list[str], dict[str, str]]:
    path = tmp / "mini.yaml"
    path.write_text(MINI_YAML, encoding="utf-8")
    return [str(path)], {"CHOKEPOINT_MAX_BYTES": "²"}


def _patched_zip(tmp: Path, name: str, patch: Callable[[bytearray], None]) -> list[str]:
    data = _zip(tmp / name, TABLES)
    patch(data)
    (tmp / name).write_bytes(bytes(data))
    return [str(tmp / name)]


def zip_encrypted(tmp: Path) -> tuple[list[str], dict[str, str]]:
    def patch(data: bytearray) -> None:
        for at in _headers(data, b"PK\x03\x04"):
            data[at + 6] |= 1
        for at in _headers(data, b"PK\x01\x02"):
            data[at + 8] |= 1

    return _patched_zip(tmp, "encrypted.zip", patch), {}


def zip_method_99(tmp: Path) -> tuple[list[str], dict[str, str]]:
    def patch(data: bytearray) -> None:
        for at in _headers(data, b"PK\x03\x04"):
            data[at + 8 : at + 10] = struct.pack("<H", 99)
        for at in _headers(data, b"PK\x01\x02"):
            data[at + 10 : at + 12] = struct.pack("<H", 99)

    return _patched_zip(tmp, "aes.zip", patch), {}


def zip_corrupt_deflate(tmp: Path) -> tuple[list[str], dict[str, str]]:
    def patch(data: bytearray) -> None:
        at = _headers(data, b"PK\x03\x04")[0]
        name, extra = struct.unpack("<HH", data[at + 26 : at + 30])
        for k in range(at + 30 + name + extra, at + 40 + name + extra):
            data[k] ^= 0x5A

    return _patched_zip(tmp, "corrupt.zip", patch), {}


def zip_odd_version(tmp: Path) -> tuple[list[str], dict[str, str]]:
    def patch(data: bytearray) -> None:
        for at in _headers(data, b"PK\x01\x02"):
            data[at + 6] = 0xFF

    return _patched_zip(tmp, "version.zip", patch), {}


def zip_two_folders(tmp: Path) -> tuple[list[str], dict[str, str]]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in TABLES.items():
            archive.writestr(("yy/" if name == "shares.csv" else "x/") + name, text)
    (tmp / "split.zip").write_bytes(buffer.getvalue())
    return [str(tmp / "split.zip")], {}


def json_lone_surrogate(tmp: Path) -> tuple[list[str], dict[str, str]]:
    document = {**HEADER, "nodes": [{"id": "a", "name": "A\ud800", "stage": "up"}]}
    path = tmp / "surrogate.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return [str(path)], {}


def yaml_nan_subsidy(tmp: Path) -> tuple[list[str], dict[str, str]]:
    path = tmp / "nan.yaml"
    text = MINI_YAML + "stage_data:\n  up:\n    - {period: 2020, subsidy_amount: .nan, source: s}\n"
    path.write_text(text, encoding="utf-8")
    return [str(path)], {}


def yaml_no_final_newline(tmp: Path) -> tuple[list[str], dict[str, str]]:
    path = tmp / "eof.yaml"
    path.write_text(MINI_YAML + "extra: [1, 2", encoding="utf-8")
    return [str(path)], {}


def _unknown_inputs(tmp: Path, n: int) -> tuple[list[str], dict[str, str]]:
    lines = [MINI_YAML]
    for k in range(n):
        lines.append(
            f"  - id: n{k}\n    name: N{k}\n    stage: down\n    inputs: [{{node: missing-{k}}}]\n"
        )
    path = tmp / f"unknown{n}.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    return [str(path)], {}


def yaml_2000_unknown_inputs(tmp: Path) -> tuple[list[str], dict[str, str]]:
    return _unknown_inputs(tmp, 2_000)


def yaml_20000_unknown_inputs(tmp: Path) -> tuple[list[str], dict[str, str]]:
    return _unknown_inputs(tmp, 20_000)


def _csv_folder(tmp: Path, name: str, nodes: int, edges: str, shares: str) -> Path:
    folder = tmp / name
    folder.mkdir()
    (folder / "chain.json").write_text(json.dumps(HEADER), encoding="utf-8")
    (folder / "nodes.csv").write_text(
        "id,name,stage\n" + "".join(f"n{k},N{k},up\n" for k in range(nodes)), encoding="utf-8"
    )
    (folder / "shares.csv").write_text(shares, encoding="utf-8")
    (folder / "edges.csv").write_text(edges, encoding="utf-8")
    return folder


def csv_20000_unknown_edges(tmp: Path) -> tuple[list[str], dict[str, str]]:
    edges = "input,node\n" + "".join(f"n{k},ghost{k}\n" for k in range(20_000))
    folder = _csv_folder(tmp, "edges", 20_000, edges, "node,origin,share,source\n")
    return [str(folder)], {}


def csv_20000_doubled_shares(tmp: Path) -> tuple[list[str], dict[str, str]]:
    rows = "".join(f"n{k},CN,0.5,s\nn{k},CN,0.5,s\n" for k in range(20_000))
    folder = _csv_folder(
        tmp, "doubled", 20_000, "input,node\n", "node,origin,share,source\n" + rows
    )
    return [str(folder)], {}


def zip_256mib_repeated_row(tmp: Path) -> tuple[list[str], dict[str, str]]:
    buffer = io.BytesIO()
    row = b"ore,CN,0.3,s\n"
    block = row * ((1 << 20) // len(row))
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in TABLES.items():
            if name != "shares.csv":
                archive.writestr("net/" + name, text)
        with archive.open("net/shares.csv", "w", force_zip64=True) as handle:
            handle.write(b"node,origin,share,source\n")
            for _ in range(256):
                handle.write(block)
    (tmp / "rows.zip").write_bytes(buffer.getvalue())
    return [str(tmp / "rows.zip")], {}


def yaml_200000_stages(tmp: Path) -> tuple[list[str], dict[str, str]]:
    names = "".join(f"  - s{k}\n" for k in range(200_000))
    text = MINI_YAML.replace("stages: [up, down]", "stages:\n  - up\n  - down\n" + names * 2)
    text = text.replace("stage: down", "stage: dwn")
    (tmp / "stages.yaml").write_text(text, encoding="utf-8")
    return [str(tmp / "stages.yaml")], {}


def zip_1gib_blank_lines(tmp: Path) -> tuple[list[str], dict[str, str]]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in TABLES.items():
            if name != "nodes.csv":
                archive.writestr("net/" + name, text)
        with archive.open("net/nodes.csv", "w", force_zip64=True) as handle:
            header = TABLES["nodes.csv"].encode()
            handle.write(header)
            left = (1 << 30) - 1 - len(header)
            block = b"\n" * (1 << 24)
            while left > 0:
                handle.write(block[: min(left, len(block))])
                left -= len(block)
    (tmp / "blank.zip").write_bytes(buffer.getvalue())
    return [str(tmp / "blank.zip")], {}


def yaml_alias_bytes(tmp: Path) -> tuple[list[str], dict[str, str]]:
    lines = [MINI_YAML.replace("name: Ore", "name: &big " + "x" * 1_000_000)]
    lines.extend(f"  - {{id: a{k}, name: *big, stage: up}}\n" for k in range(19_999))
    (tmp / "alias.yaml").write_text("".join(lines), encoding="utf-8")
    return [str(tmp / "alias.yaml")], {}


def yaml_50mb_line(tmp: Path) -> tuple[list[str], dict[str, str]]:
    path = tmp / "line.yaml"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(MINI_YAML.replace("stages: [up, down]", "stages: [up, down]\nnote: ["))
        block = "0," * 500_000
        for _ in range(50):
            handle.write(block)
        handle.write("0]\n")
    return [str(path)], {}


def dev_zero(tmp: Path) -> tuple[list[str], dict[str, str]]:
    return ["/dev/zero"], {}


def fifo(tmp: Path) -> tuple[list[str], dict[str, str]]:
    path = tmp / "pipe.yaml"
    os.mkfifo(path)
    return [str(path)], {}


#: (name, builder, also run `analyze -f json`)
INPUTS: list[tuple[str, Builder, bool]] = [
    ("yaml: integer beyond float range", yaml_big_integer, True),
    ("yaml: history year '²'", yaml_superscript_year, False),
    ("json: 5,000-digit integer", json_long_integer, False),
    ("csv: 5,000-digit integer cell", csv_long_integer, False),
    ("env: CHOKEPOINT_MAX_BYTES of 5,000 digits", env_long_integer, False),
    ("env: CHOKEPOINT_MAX_BYTES=²", env_superscript, False),
    ("zip: encrypted members", zip_encrypted, False),
    ("zip: compression method 99", zip_method_99, False),
    ("zip: corrupt deflate data", zip_corrupt_deflate, False),
    ("zip: odd version field", zip_odd_version, False),
    ("zip: tables in two folders", zip_two_folders, False),
    ("json: lone surrogate", json_lone_surrogate, True),
    ("yaml: subsidy_amount .nan", yaml_nan_subsidy, True),
    ("yaml: syntax error, no final newline", yaml_no_final_newline, False),
    ("yaml: 2,000 unknown inputs", yaml_2000_unknown_inputs, False),
    ("yaml: 20,000 unknown inputs", yaml_20000_unknown_inputs, False),
    ("csv: 20,000 unknown edges", csv_20000_unknown_edges, False),
    ("csv: 20,000 nodes, shares doubled", csv_20000_doubled_shares, False),
    ("zip: 256 MiB of one repeated row", zip_256mib_repeated_row, False),
    ("yaml: 200,000 stage names, twice", yaml_200000_stages, False),
    ("zip: 1 GiB - 1 of blank lines", zip_1gib_blank_lines, False),
    ("yaml: 1 MB text aliased 19,999x", yaml_alias_bytes, True),
    ("yaml: one 50 MB line of numbers", yaml_50mb_line, False),
    ("/dev/zero", dev_zero, False),
    ("FIFO", fifo, False),
]


def _run(args: list[str], env: dict[str, str]) -> tuple[int, float, float, str]:
    """Exit code, seconds, peak MB and the first stderr line of one chokepoint process.

    The peak comes from ``/usr/bin/time -f %M`` when it exists (a forked child inherits its
    parent's peak on Linux, and ``time`` is a small parent), else from ``os.wait4``.
    """
    command = [sys.executable, "-m", "chokepoint", *args]
    full_env = {**os.environ, "COLUMNS": "100", **env}
    full_env.pop("CHOKEPOINT_PATH", None)
    timer = shutil.which("time", path="/usr/bin")
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as peak_file:
        if timer:
            command = [timer, "-q", "-f", "%M", "-o", peak_file.name, *command]
        start = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL, env=full_env
        )
        deadline = start + KILL_AFTER
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.01)
        seconds = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        err.seek(0)
        first = err.read(4000).decode("utf-8", "replace").splitlines()
        kilobytes = usage.ru_maxrss
        if timer:
            text = peak_file.read().strip().splitlines()
            kilobytes = int(text[-1]) if text and text[-1].isdigit() else kilobytes
    return code, seconds, kilobytes / 1024, first[0] if first else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run only inputs whose name contains this")
    options = parser.parse_args()
    failed = 0
    rows: list[tuple[str, str, int, float, float, str]] = []
    tmp = Path(tempfile.mkdtemp(prefix="chokepoint-hostile-"))
    print(f"{'input':40} {'command':8} {'exit':>4} {'s':>6} {'MB':>7}  first line of stderr")
    try:
        for name, build, analyze in INPUTS:
            if options.only not in name:
                continue
            folder = tmp / f"case{len(rows)}"
            folder.mkdir()
            paths, env = build(folder)
            commands = [("validate", ["validate", *paths])]
            if analyze:
                commands.append(("analyze", ["analyze", paths[0], "-f", "json"]))
            for label, args in commands:
                code, seconds, peak, first = _run(args, env)
                bad = code != 2 or seconds > LIMIT_SECONDS or peak > LIMIT_MB
                failed += bad
                rows.append((name, label, code, seconds, peak, ("FAIL " if bad else "") + first))
                print(
                    f"{name:40} {label:8} {code:>4} {seconds:6.2f} {peak:7.1f}  {rows[-1][5][:150]}",
                    flush=True,
                )
            shutil.rmtree(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{len(rows)} runs, {failed} over {LIMIT_SECONDS:g} s / {LIMIT_MB:g} MB or not exit 2")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Counting simulations while something else runs: a sampler thread that reads /proc every
few milliseconds and keeps the largest number of live `ngspice -b` (batch) or `ngspice -p`
(pipe mode, what the reference core runs) simulation processes seen (not the core's bin
probes, `-D paiho_probe`: they load a deck and simulate nothing), optionally only those
working below a given directory."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def ngspice_pids(below: Path | None = None) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm", encoding="ascii", errors="replace") as fh:
                if fh.read().strip() != "ngspice":
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                argv = set(fh.read().split(b"\0"))
                if not {b"-b", b"-p"} & argv:
                    continue  # `ngspice --version` and the like: not a simulation
                if b"paiho_probe" in argv:
                    continue  # the core's bin probe: loads a deck, simulates nothing
            if below is not None:
                cwd = Path(os.readlink(f"/proc/{entry}/cwd"))
                if below not in cwd.parents and cwd != below:
                    continue
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
            if state != "Z":  # a zombie has finished simulating
                found.append(int(entry))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


class Watcher:
    """`with Watcher(dir) as w: ...` then `w.peak`, `w.samples`, `w.seen`."""

    def __init__(self, below: Path | None = None, interval: float = 0.005) -> None:
        self.below = below.resolve() if below is not None else None
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self.seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            pids = ngspice_pids(self.below)
            self.samples += 1
            self.seen.update(pids)
            self.peak = max(self.peak, len(pids))
            self._stop.wait(self.interval)

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

"""A real one-node Slurm on this machine, for the tests and the benchmark.

``OneNodeCluster(base).start()`` installs the Debian packages when they are missing (root
only: ``apt-get update`` once, then ``apt-get install slurmctld slurmd slurm-client munge``),
writes a munge key and a ``slurm.conf`` in ``base``, starts ``munged`` on its own socket,
``slurmctld -D`` and ``slurmd -D`` in the background with ``SLURM_CONF`` pointing at that
file, and waits (bounded) until ``sinfo`` shows the node idle. ``stop()`` ends the daemons by
their PIDs. Nothing is written outside ``base`` (the system's /etc/slurm and /etc/munge are
left alone), and the ports are free ones picked at start, so the cluster does not collide
with a site's daemons or another test session.

Settings from ../shared/MISSION.md: ``ProctrackType=proctrack/linuxproc``,
``TaskPlugin=task/none``, ``SelectType=select/cons_tres``, ``ReturnToService=2``,
``SchedulerParameters=batch_sched_delay=0,bf_interval=1`` and ``MinJobAge=5`` (without them
arrays start in 3 s waves).

Run by hand: ``python tests/slurm_cluster.py /tmp/slurm-demo`` starts one and prints the
``export SLURM_CONF=...`` to use it; Ctrl-C stops it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")
BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo")
SBIN = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")
START_TIMEOUT_S = 60.0
APT_LOCK_WAIT_S = 300  # another engineer's apt-get may hold the dpkg lock
MEM_MARGIN_MB = 2048


class ClusterUnavailable(Exception):
    """The one-node cluster cannot run here (not root, no packages); the reason says why."""


def which(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for d in SBIN:
        p = Path(d) / name
        if p.is_file() and os.access(p, os.X_OK):
            return str(p)
    return None


def missing_binaries() -> list[str]:
    return [b for b in BINARIES if which(b) is None]


def ensure_installed() -> None:
    """Install the Slurm and munge packages when a binary is missing (root + apt-get)."""
    if not missing_binaries():
        return
    if os.geteuid() != 0:
        raise ClusterUnavailable(
            f"Slurm not installed ({', '.join(missing_binaries())} missing) and not root: "
            f"apt-get install {' '.join(PACKAGES)}"
        )
    if which("apt-get") is None:
        raise ClusterUnavailable("Slurm not installed and no apt-get to install it")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = ["-o", f"DPkg::Lock::Timeout={APT_LOCK_WAIT_S}"]
    for cmd in (
        ["apt-get", *lock, "update", "-qq"],
        ["apt-get", *lock, "install", "-y", "-qq", *PACKAGES],
    ):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
            raise ClusterUnavailable(f"{' '.join(cmd)}: exit {done.returncode}: {tail}")
    if missing_binaries():
        raise ClusterUnavailable(f"still missing after install: {', '.join(missing_binaries())}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def real_memory_mb() -> int:
    with open("/proc/meminfo", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                return max(int(line.split()[1]) // 1024 - MEM_MARGIN_MB, 1024)
    return 1024


@dataclass
class OneNodeCluster:
    base: Path
    cpus: int = 2
    hostname: str = field(default_factory=lambda: socket.gethostname().split(".")[0])
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ctld_port: int = 0
    slurmd_port: int = 0

    @property
    def conf(self) -> Path:
        return self.base / "slurm.conf"

    @property
    def munge_socket(self) -> Path:
        return self.base / "munge" / "munge.socket"

    @property
    def env(self) -> dict[str, str]:
        """os.environ with SLURM_CONF set: what every Slurm client of this cluster needs."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    # --- configuration --------------------------------------------------------------------
    def write_config(self) -> None:
        for d in ("munge", "ctld", "spool", "log"):
            (self.base / d).mkdir(parents=True, exist_ok=True)
        os.chmod(self.base / "munge", 0o700)
        key = self.base / "munge" / "munge.key"
        if not key.is_file():
            key.write_bytes(os.urandom(1024))
            os.chmod(key, 0o400)
        self.ctld_port = self.ctld_port or free_port()
        self.slurmd_port = self.slurmd_port or free_port()
        b = self.base
        lines = [
            "ClusterName=wkpup",
            f"SlurmctldHost={self.hostname}(127.0.0.1)",
            f"SlurmctldPort={self.ctld_port}",
            f"SlurmdPort={self.slurmd_port}",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={self.munge_socket}",
            "SlurmUser=root",
            "SlurmdUser=root",
            f"StateSaveLocation={b / 'ctld'}",
            f"SlurmdSpoolDir={b / 'spool'}",
            f"SlurmctldPidFile={b / 'slurmctld.pid'}",
            f"SlurmdPidFile={b / 'slurmd.pid'}",
            f"SlurmctldLogFile={b / 'log' / 'slurmctld.log'}",
            f"SlurmdLogFile={b / 'log' / 'slurmd.log'}",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core_Memory",
            "ReturnToService=2",
            "SchedulerParameters=batch_sched_delay=0,bf_interval=1",
            "MinJobAge=5",
            "MpiDefault=none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            "SlurmctldTimeout=30",
            "SlurmdTimeout=60",
            "InactiveLimit=0",
            "KillWait=5",
            "Waittime=0",
            f"PlugStackConfig={b / 'plugstack.conf'}",
            f"NodeName={self.hostname} NodeAddr=127.0.0.1 CPUs={self.cpus} "
            f"RealMemory={real_memory_mb()} State=UNKNOWN",
            "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
        ]
        (b / "plugstack.conf").write_text("")
        self.conf.write_text("\n".join(lines) + "\n")

    # --- daemons ------------------------------------------------------------------------------
    def _spawn(self, name: str, cmd: list[str]) -> None:
        log = open(self.base / "log" / f"{name}.out", "ab")  # noqa: SIM115 (kept by Popen)
        try:
            self.procs[name] = subprocess.Popen(
                cmd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()

    def start_munged(self) -> None:
        m = self.base / "munge"
        self._spawn(
            "munged",
            [
                str(which("munged")),
                "--foreground",
                "--force",
                f"--socket={self.munge_socket}",
                f"--key-file={m / 'munge.key'}",
                f"--pid-file={m / 'munged.pid'}",
                f"--log-file={m / 'munged.log'}",
                f"--seed-file={m / 'munged.seed'}",
            ],
        )
        self._wait(lambda: self.munge_socket.exists(), "munged socket", 15.0)

    def start_controller(self) -> None:
        self._spawn("slurmctld", [str(which("slurmctld")), "-D", "-i", "-f", str(self.conf)])

    def stop_controller(self) -> None:
        """Stop slurmctld (a real outage: clients get connection errors until it is back)."""
        self._stop("slurmctld")

    def pause_controller(self, pause: bool = True) -> None:
        """SIGSTOP / SIGCONT slurmctld: a controller that accepts connections but does not
        answer (clients time out: "Socket timed out on send/recv operation"), and then
        handles what it received."""
        self.procs["slurmctld"].send_signal(signal.SIGSTOP if pause else signal.SIGCONT)

    def start(self) -> OneNodeCluster:
        ensure_installed()
        if os.geteuid() != 0:
            raise ClusterUnavailable("a one-node Slurm needs root here (SlurmUser=root)")
        self.base.mkdir(parents=True, exist_ok=True)
        self.write_config()
        try:
            self.start_munged()
            self.start_controller()
            self._spawn("slurmd", [str(which("slurmd")), "-D", "-f", str(self.conf)])
            self.wait_idle()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_idle(self, timeout: float = START_TIMEOUT_S) -> None:
        """Until sinfo shows the node idle (bounded); the daemons' logs on failure."""
        self._wait(lambda: self.node_state() == "idle", "node idle in sinfo", timeout)

    def node_state(self) -> str:
        done = subprocess.run(
            [str(which("sinfo")), "-h", "-N", "-o", "%T"],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=20,
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    def _wait(self, ready: object, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():  # type: ignore[operator]
                return
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise ClusterUnavailable(f"{name} exited {proc.returncode}: {self.logs()}")
            time.sleep(0.2)
        raise ClusterUnavailable(f"timed out waiting for {what}: {self.logs()}")

    def logs(self) -> str:
        out = []
        for f in sorted((self.base / "log").glob("*")):
            with contextlib.suppress(OSError):
                out.append(f"--- {f.name} ---\n" + "\n".join(f.read_text().splitlines()[-15:]))
        return "\n".join(out)

    def _stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop(self) -> None:
        """Every daemon this object started, by PID: slurmd, slurmctld, munged."""
        for name in ("slurmd", "slurmctld", "munged"):
            self._stop(name)

    def squeue(self) -> list[str]:
        """Every job and array task in the queue (one line each)."""
        done = subprocess.run(
            [str(which("squeue")), "-h", "-r", "-o", "%i %T"],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=20,
        )
        return done.stdout.split("\n")[:-1]


@contextlib.contextmanager
def one_node_cluster(base: Path | None = None) -> Iterator[OneNodeCluster]:
    """A started cluster for the ``with`` body, stopped after."""
    tmp = None
    if base is None:
        tmp = tempfile.mkdtemp(prefix="wkpup-slurm-")  # short: the munge socket path
        base = Path(tmp)
    cluster = OneNodeCluster(base)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    base = Path(argv[0]) if argv else Path(tempfile.mkdtemp(prefix="wkpup-slurm-"))
    t0 = time.monotonic()
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with one_node_cluster(base) as cluster:
            print(f"one-node Slurm up in {time.monotonic() - t0:.1f}s")
            print(f"export SLURM_CONF={cluster.conf}")
            with contextlib.suppress(KeyboardInterrupt):
                signal.pause()
    except ClusterUnavailable as exc:
        print(f"slurm_cluster: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

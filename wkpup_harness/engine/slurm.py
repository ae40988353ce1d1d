"""The Slurm executor: the run stage's points as one ``sbatch --array`` (a task per point).

The controller (the process running the engine) writes, in the job's run directory
(``<run root>/slurm/``, which must be visible to the nodes at the same path):

- ``task.sh``, the batch script every task runs (generated, the same for every job);
- per submission ``s<k>/points``: line ``i`` holds, each word shell-quoted, the job's domain
  copy, the point's log (``logs/points/<name>.log``), the time limit and the point's command
  (``PointJob.point_command``); task ``i`` of the array runs line ``i``;
- ``arrays``: every array id it submitted, so a watchdog, a reaper or ``wkpup cancel`` can
  ``scancel`` them when the driver is gone.

Each task writes ``s<k>/<i>.rc`` (its exit code, start and end times) whole, by rename,
after its command. The controller polls those files every ``slurm_poll`` seconds and books
each point as its file appears, from the thread that runs the stage; every few seconds it
asks ``squeue`` which tasks are still queued or running, and a task that left the queue
without writing its file failed (killed, node lost, time limit). It never relies on
``sbatch --wait`` (with a short MinJobAge a finished job can vanish before it is seen).
Nodes never write the store: only files in the shared run directory.

- **Resources**: ``--cpus-per-task`` from the config's ``CPU #``, ``--mem`` from
  ``MEM [G]``, ``--time`` from ``sim_timeout`` (whole minutes, at least 1; the task's own
  ``timeout`` applies the exact seconds), partition / account / QOS / extra options from the
  settings; the submitting environment (``PointJob.point_env``) is exported to the tasks.
- **Transient submission failures** (the controller busy or restarting: "Socket timed out",
  "Unable to contact slurm controller", ...) are retried with exponential backoff; any
  other failure, or the last transient one, stops the job with sbatch's own message.
- **Retry**: failed tasks are resubmitted, as one array of just those points, up to
  ``retries`` times; each point's attempts are recorded.
- **Cancel / stage timeout / Ctrl-C**: ``scancel`` of the job's arrays; the points not
  finished are booked ``cancelled``.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shlex
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wkpup_harness.engine.slurmbatch import (
    DEFAULT_POINT_S,
    TASK_COST_S,
    median_point_s,
    rc_times,
    tasks_for,
    time_limit_s,
)
from wkpup_harness.errors import ExecutorError
from wkpup_harness.points import Point
from wkpup_harness.results.runlog import PointResult

if TYPE_CHECKING:
    from wkpup_harness.engine.points import PointJob
    from wkpup_harness.settings import Settings

SLURM_DIR = "slurm"
ARRAYS = "arrays"
SCRIPT = "task.sh"
ARRAY_FILE = "array"  # in a submission directory: the id of the array its tasks ran in
SUBMIT_LOG = "submit.log"
SUBMIT_ATTEMPTS = 6  # sbatch calls per submission when the failure is transient
BACKOFF_S = 1.0  # first wait after a transient failure; doubled each time (1+2+4+8+16 s)
COMMAND_TIMEOUT_S = 120.0  # one sbatch / squeue / scancel call
SQUEUE_EVERY_S = 3.0  # how often squeue is asked which tasks are still queued or running
VANISH_GRACE_S = 5.0  # a task gone from squeue has this long for its rc file to show (NFS)
CANCEL_WAIT_S = 30.0  # after scancel, until squeue no longer shows the arrays
KILL_AFTER_S = 2  # timeout --kill-after: SIGKILL this long after the time limit's SIGTERM
DEFAULT_MAX_ARRAY = 1001  # Slurm's default MaxArraySize (indices 0..1000)
TIMEOUT_CODES = (124, 137)  # GNU timeout: limit reached (SIGTERM / SIGKILL needed)
TRANSIENT = re.compile(
    r"socket timed out|resource temporarily unavailable|connection refused|"
    r"unable to contact slurm controller|zero bytes were transmitted|"
    r"communication connection failure|temporarily unable to accept|connection reset|"
    r"connection timed out|transport endpoint|slurmctld.*(busy|not responding)|"
    r"no answer in",
    re.IGNORECASE,
)
# Transient failures after which the controller may have accepted the job all the same
# (the request reached it, the answer was lost), as opposed to "connect failure".
MAYBE_ACCEPTED = re.compile(
    r"socket timed out|zero bytes were transmitted|connection reset|no answer in",
    re.IGNORECASE,
)

# The batch script of every task. $1 is the submission directory, $2 the number of tasks
# of the array, $3 the number of lines of $1/points. Task i runs lines i, i+$2, i+2*$2, ...
# (from 0) one after another; each holds shell-quoted words (shlex.quote): the domain copy,
# the point's log, the time limit in seconds ('' for none) and the command.
# `eval "set -- $line"` only splits those quoted words back into arguments.
TASK_SCRIPT = """\
#!/bin/bash
# A batch of PVT points of a wkpup sbatch array (written by wkpup_harness/engine/slurm.py).
# $1: the submission directory; $2: the array's task count; $3: the lines of $1/points.
# Task SLURM_ARRAY_TASK_ID runs the lines SLURM_ARRAY_TASK_ID, +$2, +2*$2, ... (from 0),
# each holding, every word shell-quoted: the job's domain copy, the point's log, the time
# limit in seconds ('' for none), the command. After each point its exit code and start
# and end times go to $1/<line>.rc, written whole (rename): the controller books points
# as they end, not per batch; a point over its limit is killed and the next one runs.
set -u
sub=$1
tasks=$2
lines=$3
i=${SLURM_ARRAY_TASK_ID:?not an array task}
# The array's id, for a submitter whose sbatch call failed although Slurm took the array
# (it may have ended before squeue is asked): $1/array, written whole.
printf '%s\\n' "${SLURM_ARRAY_JOB_ID:-}" >"$sub/.array.$i.$$" &&
    mv -f "$sub/.array.$i.$$" "$sub/array"
mapfile -t all <"$sub/points"
if [ "${#all[@]}" -ne "$lines" ]; then
    echo "wkpup: $sub/points has ${#all[@]} line(s), not $lines" >&2
    exit 2
fi
for ((n = i; n < lines; n += tasks)); do
    eval "set -- ${all[$n]}"
    workdir=$1
    out=$2
    limit=$3
    shift 3
    start=$(date +%s.%N)
    rc=0
    if ! cd "$workdir"; then
        rc=2
    elif [ -n "$limit" ]; then
        timeout --kill-after=@KILL_AFTER@ "$limit" "$@" >>"$out" 2>&1 </dev/null || rc=$?
    else
        "$@" >>"$out" 2>&1 </dev/null || rc=$?
    fi
    end=$(date +%s.%N)
    printf '%s %s %s\\n' "$rc" "$start" "$end" >"$sub/.$n.rc.$$"
    mv -f "$sub/.$n.rc.$$" "$sub/$n.rc"
done
exit 0
"""


def task_script() -> str:
    return TASK_SCRIPT.replace("@KILL_AFTER@", str(KILL_AFTER_S))


@dataclass
class Task:
    point: Point
    sub: Path  # the submission directory
    index: int  # the point's line in sub/points (its rc file)
    array: str  # the array's job id
    task: int  # the array task that runs it (a batch of points)

    @property
    def rc_file(self) -> Path:
        return self.sub / f"{self.index}.rc"

    @property
    def slurm_output(self) -> Path:
        return self.sub / f"{self.task}.out"

    @property
    def slurm_id(self) -> str:
        return f"{self.array}_{self.task}"


def _run(cmd: Sequence[str], env: Mapping[str, str], cwd: Path | None = None) -> tuple[int, str]:
    """(exit code, stdout + stderr) of one Slurm client call; 127 when it is not installed,
    124 when it does not answer."""
    try:
        done = subprocess.run(
            list(cmd),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError:
        return 127, f"{cmd[0]}: not found on PATH (is this a Slurm submit host?)"
    except subprocess.TimeoutExpired:
        return 124, f"{cmd[0]}: no answer in {COMMAND_TIMEOUT_S:g}s"
    return done.returncode, (done.stdout or "") + (done.stderr or "")


def last_message(output: str, default: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    return (errors or lines or [default])[-1]


def record_array(run_root: Path, array: str, name: str, env: Mapping[str, str]) -> None:
    """Append ``<array id> <job name> <SLURM_CONF>`` to ``<run root>/slurm/arrays``."""
    path = run_root / SLURM_DIR / ARRAYS
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"{array}\t{name}\t{env.get('SLURM_CONF', '')}\n")
        fh.flush()
        os.fsync(fh.fileno())


def recorded_arrays(run_root: Path) -> list[tuple[str, str, str]]:
    """(array id, job name, SLURM_CONF) of every array a job's run directory records."""
    try:
        text = (run_root / SLURM_DIR / ARRAYS).read_text(encoding="utf-8")
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[0].isdigit():
            out.append((parts[0], parts[1], parts[2]))
    return out


def scancel(arrays: Iterable[tuple[str, str, str]], env: Mapping[str, str] | None = None) -> None:
    """scancel these arrays (restricted to their job name, so a recycled id is spared)."""
    base = dict(os.environ if env is None else env)
    by_target: dict[tuple[str, str], list[str]] = {}
    for array, name, conf in arrays:
        by_target.setdefault((name, conf), []).append(array)
    for (name, conf), ids in by_target.items():
        call_env = {**base, "SLURM_CONF": conf} if conf else base
        _run(["scancel", "--quiet", f"--name={name}", *ids], call_env)


def scancel_recorded(run_root: str | Path | None) -> int:
    """scancel every array recorded for the job at ``run_root`` (the watchdog, the reaper
    and ``wkpup cancel`` call it when a driver is gone); returns how many were named."""
    if not run_root:
        return 0
    arrays = recorded_arrays(Path(run_root))
    if arrays:
        scancel(arrays)
    return len(arrays)


def max_array_size(env: Mapping[str, str]) -> int:
    """The cluster's MaxArraySize (indices 0 .. MaxArraySize-1); Slurm's default if unknown."""
    rc, out = _run(["scontrol", "show", "config"], env)
    m = re.search(r"^MaxArraySize\s*=\s*(\d+)", out, re.MULTILINE) if rc == 0 else None
    return max(int(m.group(1)), 1) if m else DEFAULT_MAX_ARRAY


def cluster_slots(env: Mapping[str, str], settings: Settings, cpus_per_task: int) -> int | None:
    """Tasks of ``cpus_per_task`` CPUs the partition's nodes hold at once (sinfo: each
    node once, its CPU count); None when sinfo does not say."""
    cmd = ["sinfo", "-h", "-N", "-o", "%N %c"]
    if settings.slurm_partition:
        cmd += ["-p", settings.slurm_partition]
    rc, out = _run(cmd, env)
    if rc != 0:
        return None
    cpus: dict[str, int] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            cpus[parts[0]] = int(parts[1])
    slots = sum(c // max(cpus_per_task, 1) for c in cpus.values())
    return slots or None


def time_limit_minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60.0))


class SlurmExecutor:
    name = "slurm"

    def simulate(self, job: PointJob, points: Sequence[Point], deadline: float | None) -> bool:
        return SlurmRun(job, deadline).run(points)


class SlurmRun:
    """One run stage on Slurm: submissions, the polling loop, retries, cancel."""

    def __init__(self, job: PointJob, deadline: float | None) -> None:
        self.job = job
        self.deadline = deadline
        self.settings = job.settings
        self.base = job.root / SLURM_DIR
        self.env = job.point_env()
        self.job_name = f"wkpup-{job.id}" if job.id is not None else f"wkpup-x{job.token}"
        self.tasks: dict[str, Task] = {}  # point name -> its task in flight
        self.attempts: dict[str, int] = {}
        self.elapsed: dict[str, float] = {}
        self.started: dict[str, float] = {}
        self.retry: list[Point] = []
        self.arrays: list[str] = []
        self.missing_since: dict[str, float] = {}
        self.last_squeue = time.monotonic()
        self.max_array = DEFAULT_MAX_ARRAY
        self.slots: int | None = None  # CPU slots the cluster offers tasks of this shape
        self.point_times: list[float] = []  # seconds of the points that ended ok
        self.task_cost = TASK_COST_S
        self.first_submit: tuple[str, float] | None = None  # (array, when sbatch was called)
        self.inflight: Path | None = None  # a submission whose sbatch has not answered

    # --- the loop -------------------------------------------------------------------------
    def run(self, points: Sequence[Point]) -> bool:
        if not points:
            return False
        job = self.job
        self.base.mkdir(parents=True, exist_ok=True)
        self.script = self._write_script()
        self.max_array = max_array_size(self.env)
        self.point_times = rc_times(self.base)  # points of a run this one resumes
        timed_out = False
        try:
            self.submit(points)
            while self.tasks or self.retry:
                if job.cancelled:
                    break
                if self.deadline is not None and time.monotonic() >= self.deadline:
                    timed_out = True
                    job.cancel()
                    break
                self.collect()
                if self.retry and not job.cancelled:
                    again, self.retry = self.retry, []
                    self.submit(again)
                if self.tasks:
                    job.cancel_event.wait(self.settings.slurm_poll)
            if job.cancelled:
                self.stop()
        except BaseException:
            # Ctrl-C, an error, a refused submission: nothing left queued, nothing still
            # COMPLETING on a node when the driver says the job is over. An interrupt
            # during sbatch may leave an array Slurm took but we were not told of.
            self.adopt_inflight()
            self.scancel()
            self.wait_gone()
            raise
        return timed_out

    def adopt_inflight(self) -> None:
        sub, self.inflight = self.inflight, None
        found = self._submitted_from(sub) if sub is not None else None
        if found is not None and found not in self.arrays:
            self.arrays.append(found)
            record_array(self.job.root, found, self.job_name, self.env)

    def collect(self) -> None:
        """Book every task whose rc file appeared; fail those that left the queue without."""
        now = time.monotonic()
        queued: set[str] | None = None
        if now - self.last_squeue >= SQUEUE_EVERY_S:
            queued = self.squeue()  # asked before the files are read: see below
            self.last_squeue = now
        seen = self._rc_names()
        for name, task in list(self.tasks.items()):
            if task.rc_file.name in seen.get(task.sub, ()):
                del self.tasks[name]
                self.missing_since.pop(name, None)
                self.finish(task, self._read_rc(task))
            elif queued is not None and task.slurm_id not in queued:
                # Not queued when squeue answered, and no rc file after it: the task ended
                # without writing one, unless the file is late (a network file system).
                since = self.missing_since.setdefault(name, now)
                if now - since >= VANISH_GRACE_S:
                    del self.tasks[name]
                    self.missing_since.pop(name, None)
                    self.finish(task, None)
            elif queued is not None:
                self.missing_since.pop(name, None)

    def _rc_names(self) -> dict[Path, set[str]]:
        """One directory read per submission in flight (not a stat per task)."""
        out: dict[Path, set[str]] = {}
        for sub in {t.sub for t in self.tasks.values()}:
            try:
                out[sub] = {n for n in os.listdir(sub) if n.endswith(".rc")}
            except OSError:
                out[sub] = set()
        return out

    @staticmethod
    def _read_rc(task: Task) -> tuple[int, float, float] | None:
        """(exit code, seconds, start time) from a point's rc file."""
        try:
            fields = task.rc_file.read_text(encoding="ascii").split()
            start = float(fields[1])
            return int(fields[0]), max(float(fields[2]) - start, 0.0), start
        except (OSError, ValueError, IndexError, UnicodeDecodeError):
            return None

    def finish(self, task: Task, rc: tuple[int, float, float] | None) -> None:
        """A point ended: book it, or queue it for another attempt."""
        job, point = self.job, task.point
        name = point.name
        if rc is not None:
            self.elapsed[name] = self.elapsed.get(name, 0.0) + rc[1]
            self.measure(task, rc)
            if rc[0] == 0:
                self.book(point, True, "")
                return
        reason = self.reason(task, rc)
        if rc is None or job.cancelled:
            self._append_slurm_output(task)
        if job.cancelled:
            self.book(point, False, "cancelled")
        elif self.attempts[name] < 1 + self.settings.retries:
            self._log(f"{point.name}: attempt {self.attempts[name]} failed ({reason}); retry")
            job.retrying(point, self.attempts[name], reason)
            self.retry.append(point)
        else:
            self.book(point, False, reason)

    def measure(self, task: Task, rc: tuple[int, float, float]) -> None:
        """The batch rule's figures: a point's time; the per-task cost, raised to the
        submission -> first start of the run's first array when that is longer."""
        if rc[0] == 0:
            self.point_times.append(rc[1])
        first = self.first_submit
        if first is not None and task.array == first[0]:
            latency = rc[2] - first[1]
            self.first_submit = None
            if latency > self.task_cost:
                self.task_cost = latency
            self._log(f"first task started {latency:.2f} s after its submission")

    def reason(self, task: Task, rc: tuple[int, float, float] | None) -> str:
        limit = self.settings.sim_timeout
        if rc is not None:
            if limit is not None and rc[0] in TIMEOUT_CODES:
                return f"timeout {limit:g}s"
            return self.job.failure_reason(task.point, rc[0])
        try:
            text = task.slurm_output.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        if "DUE TO TIME LIMIT" in text and limit is not None:
            return f"timeout {limit:g}s"
        if "CANCELLED" in text:
            return "slurm: task cancelled"
        return "slurm: task ended without a result"

    def _append_slurm_output(self, task: Task) -> None:
        """What Slurm said about a task that ended without a result, in the point's log."""
        with contextlib.suppress(OSError):
            text = task.slurm_output.read_text(encoding="utf-8", errors="replace")
            if text.strip():
                with open(self.job.point_output(task.point), "a", encoding="utf-8") as fh:
                    fh.write(f"--- slurm {task.slurm_id} ---\n{text}")

    def book(self, point: Point, ok: bool, reason: str) -> None:
        name = point.name
        self.job.book(
            PointResult(
                point,
                ok,
                reason,
                self.attempts.get(name, 0),
                self.elapsed.get(name, 0.0),
                self.started.get(name, time.time()),
                time.time(),
            )
        )

    # --- squeue, scancel ------------------------------------------------------------------
    def squeue(self, arrays: Iterable[str] | None = None) -> set[str] | None:
        """``<array>_<task>`` of every task of ours (of ``arrays``: all in flight when not
        given) still queued or running; None when squeue does not answer (then nothing is
        judged lost)."""
        ids = sorted({t.array for t in self.tasks.values()} if arrays is None else set(arrays))
        if not ids:
            return set()
        rc, out = _run(["squeue", "-h", "-r", "-o", "%i", "-j", ",".join(ids)], self.env)
        if rc == 0:
            return {line.strip() for line in out.splitlines() if line.strip()}
        if "Invalid job id" not in out:
            self._log(f"squeue: {last_message(out, f'exit {rc}')}")
            return None
        # One purged array (MinJobAge) fails the whole query: ask for each alone.
        found: set[str] = set()
        for array in ids:
            rc, out = _run(["squeue", "-h", "-r", "-o", "%i", "-j", array], self.env)
            if rc == 0:
                found.update(line.strip() for line in out.splitlines() if line.strip())
            elif "Invalid job id" not in out:
                return None
        return found

    def scancel(self) -> None:
        if self.arrays:
            conf = self.env.get("SLURM_CONF", "")
            scancel([(a, self.job_name, conf) for a in self.arrays], self.env)

    def wait_gone(self) -> None:
        """After scancel: wait (bounded) until squeue shows no task of the job's arrays, in
        any state (COMPLETING included: its processes are still being ended on the node;
        PENDING included: an array submitted just before the interrupt)."""
        deadline = time.monotonic() + CANCEL_WAIT_S
        while self.arrays and time.monotonic() < deadline:
            if self.squeue(self.arrays) == set():
                return
            time.sleep(0.5)

    def stop(self) -> None:
        """Cancel: scancel the arrays, wait (bounded) until squeue no longer shows them,
        book what finished meanwhile and the rest as cancelled."""
        self.scancel()
        self.wait_gone()
        seen = self._rc_names()
        for name, task in list(self.tasks.items()):
            del self.tasks[name]
            rc = self._read_rc(task) if task.rc_file.name in seen.get(task.sub, ()) else None
            if rc is not None and rc[0] == 0:
                self.elapsed[name] = self.elapsed.get(name, 0.0) + rc[1]
                self.book(task.point, True, "")
            else:
                self._append_slurm_output(task)
                self.book(task.point, False, "cancelled")
        for point in self.retry:
            self.book(point, False, "cancelled")
        self.retry = []

    # --- submission -----------------------------------------------------------------------
    def _write_script(self) -> Path:
        path = self.base / SCRIPT
        text = task_script()
        try:
            if path.read_text(encoding="utf-8") == text:
                return path
        except OSError:
            pass
        tmp = path.with_name(f".{SCRIPT}.{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
        return path

    def _new_submission_dir(self) -> Path:
        taken = [int(p.name[1:]) for p in self.base.iterdir() if re.fullmatch(r"s[0-9]+", p.name)]
        k = max(taken, default=0) + 1
        while True:
            sub = self.base / f"s{k}"
            try:
                sub.mkdir()
                return sub
            except FileExistsError:
                k += 1

    def sbatch_command(self, sub: Path, tasks: int, lines: int) -> list[str]:
        cfg = self.job.spec.config
        s = self.settings
        cmd = [
            "sbatch",
            "--parsable",
            f"--array=0-{tasks - 1}",
            f"--job-name={self.job_name}",
            f"--output={sub}/%a.out",
            f"--chdir={sub}",
            "--export=ALL",
            f"--cpus-per-task={cfg.cpu}",
            f"--mem={cfg.mem_gb}G",
        ]
        if s.sim_timeout is not None:
            batch = math.ceil(lines / tasks)
            if batch == 1:
                cmd.append(f"--time={time_limit_minutes(s.sim_timeout)}")
            else:
                limit = time_limit_s(s.sim_timeout, batch, KILL_AFTER_S)
                cmd.append(f"--time={time_limit_minutes(limit)}")
        if s.slurm_partition:
            cmd.append(f"--partition={s.slurm_partition}")
        if s.slurm_account:
            cmd.append(f"--account={s.slurm_account}")
        if s.slurm_qos:
            cmd.append(f"--qos={s.slurm_qos}")
        cmd += list(s.slurm_options)
        cmd += [str(self.script), str(sub), str(tasks), str(lines)]
        return cmd

    def plan(self, n: int) -> int:
        """Array tasks for ``n`` points: the batch rule of engine/slurmbatch.py, from the
        measured point time and per-task cost; logged in submit.log."""
        if self.slots is None:
            self.slots = cluster_slots(self.env, self.settings, self.job.spec.config.cpu)
        point_s = median_point_s(self.point_times)
        guess = point_s is None
        point_s = DEFAULT_POINT_S if point_s is None else point_s
        tasks = tasks_for(n, self.slots or n, point_s, self.task_cost)
        self._log(
            f"batching: {n} point(s), {self.slots or '?'} CPU slot(s), point "
            f"{point_s:.2f} s ({'guess' if guess else 'measured'}), task cost "
            f"{self.task_cost:.2f} s -> {tasks} task(s) of <= {math.ceil(n / max(tasks, 1))}"
        )
        return tasks

    def submit(self, points: Sequence[Point]) -> None:
        """Batches of points (``plan``), one array per at most MaxArraySize tasks."""
        if not points:
            return
        batch = math.ceil(len(points) / self.plan(len(points)))
        step = self.max_array * batch
        for i in range(0, len(points), step):
            if self.job.cancelled:
                for p in points[i:]:
                    self.attempts.setdefault(p.name, 0)
                    self.retry.append(p)  # booked cancelled by stop()
                return
            chunk = points[i : i + step]
            self._submit_array(chunk, math.ceil(len(chunk) / batch))

    def _points_file(self, points: Sequence[Point]) -> str:
        job = self.job
        limit = self.settings.sim_timeout
        limit_word = f"{max(limit, 0.001):.3f}" if limit is not None else ""
        lines = []
        for p in points:
            words = [str(job.workdir), str(job.point_output(p)), limit_word, *job.point_command(p)]
            if any(("\n" in w) or ("\0" in w) for w in words):
                raise ExecutorError(f"{p.name}: a path or argument holds a newline")
            lines.append(shlex.join(words))
            job.point_output(p).parent.mkdir(parents=True, exist_ok=True)
        return "\n".join(lines) + "\n"

    def _submit_array(self, points: Sequence[Point], tasks: int) -> None:
        job = self.job
        text = self._points_file(points)
        sub = self._new_submission_dir()
        (sub / "points").write_text(text, encoding="utf-8")
        cmd = self.sbatch_command(sub, tasks, len(points))
        self.inflight = sub
        submitted = time.time()
        array = self._sbatch(cmd, sub)
        if array is None:  # cancelled while retrying the submission
            self.inflight = None
            for p in points:
                self.attempts.setdefault(p.name, 0)
                self.retry.append(p)
            return
        self.arrays.append(array)
        self.inflight = None
        record_array(job.root, array, self.job_name, self.env)
        if self.first_submit is None:
            self.first_submit = (array, submitted)
        self._log(
            f"array {array}: {tasks} task(s), {len(points)} point(s) in {sub.name} "
            f"({shlex.join(cmd)})"
        )
        now = time.time()
        for i, p in enumerate(points):
            self.tasks[p.name] = Task(p, sub, i, array, i % tasks)
            self.attempts[p.name] = self.attempts.get(p.name, 0) + 1
            self.started.setdefault(p.name, now)

    def _sbatch(self, cmd: list[str], sub: Path) -> str | None:
        """The array's job id; transient failures retried with exponential backoff."""
        delay = BACKOFF_S
        for attempt in range(1, SUBMIT_ATTEMPTS + 1):
            rc, out = _run(cmd, self.env, cwd=sub)
            first = out.strip().splitlines()[0].strip() if out.strip() else ""
            array = first.split(";")[0]
            if rc == 0 and array.isdigit():
                return array
            message = last_message(out, f"sbatch: exit {rc}")
            if rc == 0:
                message = f"sbatch: unexpected answer {first[:80]!r}"
            transient = rc != 127 and TRANSIENT.search(message) is not None
            self._log(f"sbatch attempt {attempt}: {message}")
            if not transient:
                raise ExecutorError(message)
            if attempt == SUBMIT_ATTEMPTS:
                raise ExecutorError(f"{message} ({SUBMIT_ATTEMPTS} attempts)")
            if self.job.cancel_event.wait(delay):
                return None
            delay *= 2
            # A call that timed out may have been accepted all the same: adopt that array
            # rather than submit the same tasks twice (its working directory is `sub`).
            found = self._submitted_from(sub) if MAYBE_ACCEPTED.search(message) else None
            if found is not None:
                self._log(f"array {found} was accepted despite the failure: adopted")
                return found
        return None

    def _submitted_from(self, sub: Path) -> str | None:
        """The array Slurm took from ``sub`` although sbatch failed: named by a task that
        started (``sub/array``; the array may be over already) or by squeue."""
        with contextlib.suppress(OSError, UnicodeDecodeError):
            started = (sub / ARRAY_FILE).read_text(encoding="ascii").strip()
            if started.isdigit():
                return started
        rc, out = _run(["squeue", "-h", "-n", self.job_name, "-o", "%F %Z"], self.env)
        if rc != 0:
            return None
        for line in out.splitlines():
            array, _, workdir = line.strip().partition(" ")
            if workdir == str(sub) and array.isdigit():
                return array
        return None

    def _log(self, text: str) -> None:
        with (
            contextlib.suppress(OSError),
            open(self.base / SUBMIT_LOG, "a", encoding="utf-8") as fh,
        ):
            fh.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {text}\n")

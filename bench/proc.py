"""Linux /proc readings about the server's process tree: CPU time, memory and who serves which connection.

`opsdesk serve --workers N` (N > 1) is a supervisor process with N worker processes (and a
multiprocessing resource tracker) below it, so the server's CPU time is that of the whole tree.
Every function reads /proc at the moment it is called; a process that exits meanwhile is skipped.
A worker that exits mid-run takes its CPU time with it (the kernel moves it to its parent's
`cutime`, which is not counted), so such a run under-reports; workers do not exit in a healthy run.
"""

import os
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
_LISTEN = "0A"
_ESTABLISHED = "01"


def process_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, user + system CPU time in clock ticks) of every visible process.

    One pass over /proc/[0-9]*/stat, about 15 µs per process.
    """
    table: dict[int, tuple[int, int]] = {}
    with os.scandir(PROC) as entries:
        names = [entry.name for entry in entries if entry.name.isdigit()]
    for name in names:
        # os.open/os.read rather than pathlib: half the cost, and this runs inside measured runs.
        try:
            descriptor = os.open(f"/proc/{name}/stat", os.O_RDONLY)
        except OSError:  # it exited since the listing
            continue
        try:
            stat = os.read(descriptor, 4096)
        except OSError:
            continue
        finally:
            os.close(descriptor)
        # The command name, in parentheses, may hold spaces and parentheses: split after it.
        fields = stat.rsplit(b")", 1)[1].split()
        if len(fields) > 12:
            table[int(name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return table


def process_tree(root: int, table: dict[int, tuple[int, int]]) -> list[int]:
    """`root` and all its descendants in `table`, root first; empty when `root` is gone."""
    if root not in table:
        return []
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    tree = [root]
    for pid in tree:  # grows while it is walked: breadth first
        tree.extend(children.get(pid, ()))
    return tree


def tree_cpu_s(root: int) -> float | None:
    """User + system CPU seconds of `root` and all its descendants, or None when `root` is gone."""
    table = process_table()
    tree = process_tree(root, table)
    if not tree:
        return None
    return sum(table[pid][1] for pid in tree) / CLOCK_TICKS_PER_S


def _tcp_sockets(port: int, state: str) -> dict[int, int]:
    """The IPv4 TCP sockets on 127.0.0.1:`port` (local side) in `state`: inode -> remote port."""
    local = f"0100007F:{port:04X}"
    sockets: dict[int, int] = {}
    try:
        lines = (PROC / "net" / "tcp").read_text(encoding="ascii").splitlines()[1:]
    except OSError:
        return sockets
    for line in lines:
        fields = line.split()
        if len(fields) > 9 and fields[1] == local and fields[3] == state:
            sockets[int(fields[9])] = int(fields[2].rsplit(":", 1)[1], 16)
    return sockets


def _descriptors(pid: int) -> list[str]:
    """What each open file descriptor of `pid` points at (`socket:[INODE]`, …)."""
    targets: list[str] = []
    fd_dir = PROC / str(pid) / "fd"
    try:
        with os.scandir(fd_dir) as entries:
            names = [entry.name for entry in entries]
    except OSError:
        return targets
    for name in names:
        try:
            targets.append(str((fd_dir / name).readlink()))
        except OSError:
            continue
    return targets


def _polls(pid: int, inode: int) -> bool:
    """Whether one of `pid`'s epoll sets watches the socket `inode`: it accepts on it."""
    fd_dir = PROC / str(pid) / "fd"
    needle = f" ino:{inode:x} "
    try:
        with os.scandir(fd_dir) as entries:
            names = [entry.name for entry in entries]
    except OSError:
        return False
    for name in names:
        try:
            if str((fd_dir / name).readlink()) != "anon_inode:[eventpoll]":
                continue
            info = (PROC / str(pid) / "fdinfo" / name).read_text(encoding="ascii")
        except OSError:
            continue
        if needle in info:
            return True
    return False


def accepting_processes(root: int, port: int) -> list[int]:
    """The processes of `root`'s tree that accept connections on 127.0.0.1:`port` (an event loop
    watches the listening socket); under `--workers N` these are the N workers once started."""
    listening = _tcp_sockets(port, _LISTEN)
    if not listening:
        return []
    inode = min(listening)
    return [pid for pid in process_tree(root, process_table()) if _polls(pid, inode)]


def connection_owners(root: int, port: int) -> tuple[list[int], dict[int, int]]:
    """The accepting processes of `root`'s tree, and which of them holds each open connection to
    127.0.0.1:`port`, by the client's port (a connection not accepted yet has no owner)."""
    established = _tcp_sockets(port, _ESTABLISHED)
    workers = accepting_processes(root, port)
    owners: dict[int, int] = {}
    for pid in workers:
        for target in _descriptors(pid):
            if target.startswith("socket:["):
                client_port = established.get(int(target[8:-1]))
                if client_port is not None:
                    owners[client_port] = pid
    return workers, owners


def connections_per_process(root: int, port: int) -> list[int]:
    """How many open connections to 127.0.0.1:`port` each accepting process of `root`'s tree
    holds, most first; a worker that got none shows as 0."""
    workers, owners = connection_owners(root, port)
    held = list(owners.values())
    return sorted((held.count(pid) for pid in workers), reverse=True)


def memory_kib(pid: int) -> tuple[int, int] | None:
    """(resident set size now, its peak so far) of `pid` in KiB, from VmRSS and VmHWM of
    /proc/PID/status; None when `pid` is gone. The peak counts the process alone, not its children."""
    try:
        lines = (PROC / str(pid) / "status").read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    values: dict[str, int] = {}
    for line in lines:
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    if len(values) < 2:
        return None
    return values["VmRSS"], values["VmHWM"]

"""A Dask cluster of `dask scheduler` + `dask worker` processes on 127.0.0.1.

For tests and benchmarks of Beam builds through tfds_builders.dask_runner:
the same commands a user runs on real machines, bound to the loopback
interface on ports the OS picks. Every process gets its own process group
(the worker's nanny and the worker it spawns share one), and all of them are
stopped when the `with` block ends, however it ends.

  with loopback_cluster(2, tmp_dir) as address:   # 'tcp://127.0.0.1:PORT'
    ...
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

BIN = os.path.dirname(sys.executable)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _dask_command(*args):
  return [os.path.join(BIN, 'dask'), *args]


def _start(command, log_path, cwd):
  log = open(log_path, 'wb')  # pylint: disable=consider-using-with
  try:
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, cwd=cwd,
                            start_new_session=True)
  finally:
    log.close()  # the child has its own copy of the descriptor


def stop(processes, grace_seconds=10.0):
  """SIGTERM each process group, then SIGKILL what is left after a grace."""
  for process in processes:
    with contextlib.suppress(ProcessLookupError):
      os.killpg(process.pid, signal.SIGTERM)
  deadline = time.monotonic() + grace_seconds
  for process in processes:
    with contextlib.suppress(subprocess.TimeoutExpired):
      process.wait(max(0.1, deadline - time.monotonic()))
  for process in processes:  # The group too: a nanny's worker may outlive it.
    with contextlib.suppress(ProcessLookupError):
      os.killpg(process.pid, signal.SIGKILL)
    process.wait()
  deadline = time.monotonic() + grace_seconds
  while (any(group_alive(p.pid) for p in processes)
         and time.monotonic() < deadline):
    time.sleep(0.1)


def group_alive(pid):
  """Whether any live (not zombie) process of the process group `pid` exists.

  A SIGKILLed member whose parent died first stays a zombie until init reaps
  it, and signalling a zombie succeeds, so killpg(pid, 0) alone would call a
  dead group alive for a while. On Linux /proc says which members still run.
  """
  if not os.path.isdir('/proc/self'):
    try:
      os.killpg(pid, 0)
    except ProcessLookupError:
      return False
    return True
  for entry in os.listdir('/proc'):
    if not entry.isdigit():
      continue
    with contextlib.suppress(OSError):
      with open(f'/proc/{entry}/stat') as f:
        # pid (comm) state ppid pgrp ...; comm may hold spaces and parens.
        fields = f.read().rsplit(')', 1)[1].split()
      if int(fields[2]) == pid and fields[0] != 'Z':
        return True
  return False


def _tail(path, lines=15):
  with contextlib.suppress(OSError), open(path, errors='replace') as f:
    return ''.join(f.readlines()[-lines:])
  return ''


def _wait_for_workers(address, n_workers, deadline):
  from distributed import Client  # pylint: disable=g-import-not-at-top
  with Client(address, timeout=max(1.0, deadline - time.monotonic())) as client:
    client.wait_for_workers(n_workers,
                            timeout=max(1.0, deadline - time.monotonic()))


@contextlib.contextmanager
def loopback_cluster(n_workers, directory, timeout=90.0, nice=5):
  """Yields the scheduler address of a running cluster of n_workers.

  Args:
    n_workers: worker processes (one thread each: the work holds the GIL).
    directory: for the scheduler file, logs and the workers' scratch space.
    timeout: seconds to wait for the scheduler and all workers.
    nice: niceness added to every process (0 for none).
  """
  os.makedirs(directory, exist_ok=True)
  prefix = ['nice', '-n', str(nice)] if nice else []
  scheduler_file = os.path.join(directory, 'scheduler.json')
  processes = []
  logs = []
  try:
    logs.append(os.path.join(directory, 'scheduler.log'))
    processes.append(_start(prefix + _dask_command(
        'scheduler', '--host', '127.0.0.1', '--port', '0', '--no-dashboard',
        '--scheduler-file', scheduler_file,
        # If this process is killed before it can stop them: the scheduler
        # exits after idling this long, then the workers lose it.
        '--idle-timeout', '900'), logs[-1], REPO))
    deadline = time.monotonic() + timeout
    while not os.path.exists(scheduler_file):
      if processes[0].poll() is not None or time.monotonic() > deadline:
        raise RuntimeError(f'dask scheduler did not start:\n{_tail(logs[0])}')
      time.sleep(0.2)
    time.sleep(0.2)  # The file is written in one go; let it be complete.
    with open(scheduler_file) as f:
      address = json.load(f)['address']
    for i in range(n_workers):
      logs.append(os.path.join(directory, f'worker{i}.log'))
      # cwd=REPO: workers import tfds_builders and pitchfit as the client does.
      processes.append(_start(prefix + _dask_command(
          'worker', address, '--host', '127.0.0.1', '--nthreads', '1',
          '--no-dashboard', '--name', f'worker{i}', '--death-timeout', '60',
          '--local-directory', os.path.join(directory, f'worker{i}')),
          logs[-1], REPO))
    try:
      _wait_for_workers(address, n_workers, deadline)
    except Exception as e:  # pylint: disable=broad-except
      raise RuntimeError(f'{n_workers} dask workers did not register: {e}\n'
                         + '\n'.join(_tail(log) for log in logs[1:])) from e
    yield address
  finally:
    stop(processes[::-1])  # Workers first, so none reconnects in vain.

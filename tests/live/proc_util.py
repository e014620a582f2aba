"""The end of an integration test's processes: whatever still runs after the test's own orderly
stop (SIGTERM, checked) is killed with its whole process group, so no daemon or collector
outlives a failed run.

  try: ...; rc = stop(daemon)
  finally: kill_leftovers(daemon, nfcapd)
"""
import os
import signal

WAIT_S = 30  # for a killed process group to be reaped (SIGKILL cannot be refused)


def kill_leftovers(*procs, timeout=WAIT_S):
    """Kills each process (started with start_new_session=True) that has not exited, None skipped."""
    for proc in procs:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)

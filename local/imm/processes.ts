// The child processes the offline IMM runs its media work in (ffmpeg, the MuPDF worker, LibreOffice). Each one
// leads its own process group, so a terminal's Ctrl-C reaches only the stack, which lets running tasks finish.
// The flip side: when the stack must stop at once, nothing else would stop them, so it kills what is tracked here.
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

/** Remembers `child` until it exits. */
export function trackChild<C extends ChildProcess>(child: C): C {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Kills every tracked child's whole process group (LibreOffice starts helpers of its own). */
export function killChildren(): number {
  const count = live.size;
  for (const child of live) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }
  live.clear();
  return count;
}

// Runs ffmpeg for the offline IMM: spawned without a shell, bounded in time, its failure turned into a
// task Code: `InvalidMediaFormat` when the input cannot be decoded, `MediaConvertFailed` otherwise, with
// ffmpeg's last stderr line as the reason.
import { spawn } from 'node:child_process';
import { trackChild } from './processes';
import { TaskError } from './tasks';

export type FfmpegRunner = (args: string[]) => Promise<void>;

/** Lines ffmpeg writes when the input is not media it can read. */
const UNREADABLE_INPUT = /Invalid data found when processing input|moov atom not found|could not find codec parameters|does not contain any stream/i;
const STDERR_LIMIT = 64 * 1024;

export interface FfmpegOptions {
  /** Default: the @ffmpeg-installer/ffmpeg binary. */
  path?: string;
  timeoutMs?: number;
}

export function createFfmpegRunner(options: FfmpegOptions = {}): FfmpegRunner {
  const timeoutMs = options.timeoutMs ?? 10 * 60 * 1000;
  return (args) =>
    new Promise<void>((resolve, reject) => {
      // Resolved lazily so that importing the emulator does not need the binary.
      const binary = options.path ?? (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
      // Its own process group: Ctrl-C on `npm start` reaches the stack, which lets running tasks finish,
      // instead of killing ffmpeg mid-file (a task failed by the user's Ctrl-C would be recorded as failed).
      const child = trackChild(spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true }));
      let stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-STDERR_LIMIT);
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new TaskError('MediaConvertFailed', `ffmpeg could not start: ${error.message}`, { cause: error }));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) return resolve();
        const last = stderr.trim().split('\n').pop()?.trim() || (signal ? `killed by ${signal}` : `exit code ${String(code)}`);
        if (signal === 'SIGKILL') return reject(new TaskError('MediaConvertFailed', `ffmpeg took longer than ${timeoutMs} ms: ${last}`));
        reject(new TaskError(UNREADABLE_INPUT.test(stderr) ? 'InvalidMediaFormat' : 'MediaConvertFailed', `ffmpeg failed: ${last}`));
      });
    });
}

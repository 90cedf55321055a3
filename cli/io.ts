// What every command shares: where output goes, option parsing that fails with one clear line, and reading inputs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The outside world of a command, injectable so that tests run commands in-process. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Relative paths are read from here. */
  cwd: string;
  /** Standard input, for `--input -`. */
  stdin?(): string;
}

/** Bad usage or unreadable input: printed as one line on stderr, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

type Options = NonNullable<ParseArgsConfig['options']>;

/** `parseArgs` in strict mode, with node's messages turned into ours: `unknown option \`--x\``. */
export function parseOptions<T extends Options>(command: string, argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const code = (error as { code?: string }).code;
    const quoted = /'([^']+)'/.exec(messageOf(error))?.[1] ?? '';
    const name = quoted.split(/[ ,]/).find((part) => part.startsWith('--')) ?? quoted;
    const help = `see \`${command} --help\``;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`${command}: unknown option \`${name}\`: ${help}`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`${command}: unexpected argument \`${quoted}\`: ${help}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      if (/does not take an argument/.test(messageOf(error))) throw new UsageError(`${command}: option \`${name}\` takes no value: ${help}`);
      throw new UsageError(`${command}: option \`${name}\` needs a value: ${help}`);
    }
    throw error;
  }
}

/** The value of a required option, or a usage error naming it. */
export function required(command: string, value: string | boolean | undefined, option: string, placeholder: string): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`${command}: missing \`--${option} <${placeholder}>\`: see \`${command} --help\``);
  return value;
}

/** A file's text; `-` reads standard input. */
export function readText(command: string, file: string, io: Io): string {
  if (file === '-') {
    if (!io.stdin) throw new UsageError(`${command}: standard input is not available`);
    return io.stdin();
  }
  try {
    return readFileSync(path.resolve(io.cwd, file), 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : lower(error);
    throw new UsageError(`${command}: cannot read \`${file}\`: ${reason}`);
  }
}

/** A file's JSON, or a usage error naming the file and the syntax error. */
export function readJson(command: string, file: string, io: Io): unknown {
  const text = readText(command, file, io);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${command}: \`${file}\` is not valid json: ${lower(error)}`);
  }
}

export function printJson(io: Io, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** An error's message as our messages read: lowercase first letter, no final period. */
export function lower(error: unknown): string {
  // One line: JSON.parse quotes the start of the input, newlines and all.
  const message = messageOf(error).replace(/\s*[\r\n]+\s*/g, '\\n');
  return `${message.charAt(0).toLowerCase()}${message.slice(1)}`.replace(/\.$/, '');
}

/** Not `instanceof Error`: errors thrown by node's own modules may come from another realm (e.g. under jest). */
function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

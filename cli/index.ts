// `npm run -s cli -- policy simulate|lint|generate …` (DESIGN §3.5): dispatch only; each command is one file.
import { readFileSync } from 'node:fs';
import { runDoctor } from './doctor';
import { runGenerate } from './generate';
import { EXIT, lower, UsageError, type Io } from './io';
import { runLint } from './lint';
import { runSimulate } from './simulate';

export type { Io } from './io';

type Command = (argv: readonly string[], io: Io) => number;

const COMMANDS: Record<string, Record<string, Command>> = {
  policy: { simulate: runSimulate, lint: runLint, generate: runGenerate },
};

export const HELP = `usage: npm run -s cli -- policy <command> [options]

commands:
  policy simulate --input <case.json>
      decide one request against its policies: {"decision","reasons","errors","explanation"}
  policy lint --input <policy.json> [--kind identity|bucket|trust]
      check one policy: {"findings":[{"severity","code","message","path"}],"kind"}
  policy generate --config <deploy.json> --out <dir>
      write every policy the cross-account deployment needs, grouped by account
  doctor [--local | --data-alias <alias>] [--json]
      check a deployment link by link (bucket, bucket policy, functions, triggers, deep health); see \`doctor --help\`

Add --help to a command for its details. Output is JSON on stdout; problems with the command line or an
unreadable input are one line on stderr with exit code 2.
`;

const isHelp = (arg: string | undefined): boolean => arg === '--help' || arg === '-h' || arg === 'help';

/** Runs one command line (without `node cli/index.ts`) and returns its exit code. */
export function run(argv: readonly string[], io: Io): number {
  try {
    const [group, name, ...rest] = argv;
    if (group === undefined || isHelp(group)) {
      if (group === undefined) throw new UsageError('missing command: try `policy simulate`, `policy lint` or `policy generate` (see `--help`)');
      io.stdout(HELP);
      return EXIT.ok;
    }
    const commands = COMMANDS[group];
    if (!Object.hasOwn(COMMANDS, group) || !commands) throw new UsageError(`unknown command \`${group}\`: try \`policy\` (see \`--help\`)`);
    if (name === undefined || isHelp(name)) {
      if (name === undefined) throw new UsageError(`missing ${group} command: try ${Object.keys(commands).map((c) => `\`${group} ${c}\``).join(', ')} (see \`--help\`)`);
      io.stdout(HELP);
      return EXIT.ok;
    }
    if (!Object.hasOwn(commands, name)) {
      throw new UsageError(`unknown command \`${group} ${name}\`: try ${Object.keys(commands).map((c) => `\`${group} ${c}\``).join(', ')}`);
    }
    return commands[name](rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`internal error: ${lower(error)}\n`);
    return EXIT.failed;
  }
}

if (require.main === module) {
  const io: Io = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    // `npm run` moves to the package root; INIT_CWD is where the user typed the command.
    cwd: process.env.INIT_CWD ?? process.cwd(),
    stdin: () => readFileSync(0, 'utf8'),
  };
  const argv = process.argv.slice(2);
  // doctor talks to the cloud, so it alone is asynchronous.
  if (argv[0] === 'doctor') void runDoctor(argv.slice(1), io, process.env, process.stdout.isTTY === true).then((code) => (process.exitCode = code));
  else process.exitCode = run(argv, io);
}

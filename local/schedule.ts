// FC timer trigger schedules (TimerTriggerConfig.cronExpression): "@every 4m" for an interval, or a cron
// expression with a seconds field, "0 0 4 * * *" (alibabacloud.com/help/en/functioncompute/api-fc-2023-03-30-struct-timertriggerconfig),
// optionally preceded by `CRON_TZ=<zone>`; without it FC uses UTC (UNVERIFIED; the local FC does the same).
import { Cron } from 'croner';

export interface Schedule {
  /** The first firing strictly after `after` (epoch ms). */
  next(after: number): number;
}

const EVERY = /^@every\s+((?:\d+(?:\.\d+)?(?:h|m|s))+)$/;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000 };

/** Parses a cronExpression, or throws an Error whose message says what is wrong and what is accepted. */
export function parseSchedule(expression: string): Schedule {
  const text = expression.trim();
  const every = EVERY.exec(text);
  if (every) {
    let ms = 0;
    for (const [, amount, unit] of every[1].matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)) ms += Number(amount) * UNIT_MS[unit];
    if (ms < 1000) throw new Error(`\`${expression}\`: the interval must be at least 1s`);
    // An interval counts from when the trigger was created; the local FC creates it at start.
    return { next: (after) => after + ms };
  }
  if (text.startsWith('@')) throw new Error(`\`${expression}\` is not a schedule: use \`@every <n>h|m|s\`, e.g. \`@every 5m\``);
  const tz = /^CRON_TZ=(\S+)\s+(.*)$/.exec(text);
  const pattern = tz ? tz[2] : text;
  const fields = pattern.split(/\s+/);
  if (fields.length !== 6) throw new Error(`\`${expression}\`: a cron expression has 6 fields (seconds minutes hours day-of-month month day-of-week), got ${fields.length}`);
  let cron: Cron;
  try {
    cron = new Cron(pattern, { paused: true, timezone: tz?.[1] ?? 'UTC' });
  } catch (error) {
    throw new Error(`\`${expression}\`: ${(error as Error).message}`);
  }
  if (!cron.nextRun()) throw new Error(`\`${expression}\` never fires`);
  return {
    next: (after) => {
      const run = cron.nextRun(new Date(after));
      return run ? run.getTime() : Number.POSITIVE_INFINITY;
    },
  };
}

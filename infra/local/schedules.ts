import type { EventEnvelope } from './event-bus';
import { localAccountId, localRegion } from './sqs-queue';

/**
 * EventBridge schedule expressions on the local target: `rate(5 minutes)` and the six-field
 * `cron(minutes hours day-of-month month day-of-week year)` in UTC, with `*`, `?`, lists, ranges,
 * steps, `L` (last day of month) and month/day names. `nextFireTime` is pure; `LocalScheduler` fires
 * targets with the same "Scheduled Event" envelope EventBridge sends.
 */
export class ScheduleExpressionError extends Error {
  override readonly name = 'ScheduleExpressionError';
}

const months = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const days = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface CronField {
  any: boolean;
  values: Set<number>;
  lastDay?: boolean;
}

interface Cron {
  minutes: CronField;
  hours: CronField;
  dayOfMonth: CronField;
  month: CronField;
  dayOfWeek: CronField;
  year: CronField;
}

function parseField(text: string, min: number, max: number, names: string[] = [], offset = 0): CronField {
  if (text === '*' || text === '?') return { any: true, values: new Set() };
  const values = new Set<number>();
  let lastDay = false;
  const value = (token: string): number => {
    const named = names.indexOf(token.toUpperCase());
    const n = named >= 0 ? named + offset : Number(token);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new ScheduleExpressionError(`'${token}' is out of range ${min}-${max}.`);
    return n;
  };
  for (const part of text.split(',')) {
    if (part === 'L') {
      lastDay = true;
      continue;
    }
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new ScheduleExpressionError(`Invalid step in '${part}'.`);
    let [from, to] = [min, max];
    if (range !== '*') {
      const [a = '', b] = range.split('-');
      from = value(a);
      to = b === undefined ? (stepText === undefined ? from : max) : value(b);
    }
    for (let n = from; n <= to; n += step) values.add(n);
  }
  return { any: false, values, lastDay };
}

function parseCron(body: string): Cron {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6)
    throw new ScheduleExpressionError(
      'cron() takes six fields: min hour day-of-month month day-of-week year.',
    );
  const [mi = '', h = '', dom = '', mon = '', dow = '', y = ''] = fields;
  if (dom !== '?' && dow !== '?')
    throw new ScheduleExpressionError('One of day-of-month and day-of-week must be ?.');
  return {
    minutes: parseField(mi, 0, 59),
    hours: parseField(h, 0, 23),
    dayOfMonth: parseField(dom, 1, 31),
    month: parseField(mon, 1, 12, months, 1),
    dayOfWeek: parseField(dow, 1, 7, days, 1),
    year: parseField(y, 1970, 2199),
  };
}

const matches = (field: CronField, n: number) => field.any || field.values.has(n);

/** Validates an expression; throws `ScheduleExpressionError` with the reason. */
export function validateScheduleExpression(expression: string): void {
  nextFireTime(expression, new Date(0));
}

/** The first fire time strictly after `after` (UTC, minute precision for cron). */
export function nextFireTime(expression: string, after: Date): Date {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2] ?? 'minutes';
    if (n < 1 || (n === 1) !== !unit.endsWith('s')) {
      throw new ScheduleExpressionError('Use rate(1 minute) or rate(N minutes) with N > 1.');
    }
    const ms = n * (unit.startsWith('minute') ? 60_000 : unit.startsWith('hour') ? 3_600_000 : 86_400_000);
    return new Date(after.getTime() + ms);
  }
  const cronMatch = /^cron\((.+)\)$/.exec(expression.trim());
  if (!cronMatch?.[1])
    throw new ScheduleExpressionError(`'${expression}' is neither rate(...) nor cron(...).`);
  const cron = parseCron(cronMatch[1]);
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  const limit = after.getTime() + 5 * 366 * 86_400_000;
  while (t.getTime() <= limit) {
    if (!matches(cron.year, t.getUTCFullYear()) || !matches(cron.month, t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!dayMatches(cron, t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!matches(cron.hours, t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!matches(cron.minutes, t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return t;
  }
  throw new ScheduleExpressionError(`'${expression}' never fires in the next five years.`);
}

function dayMatches(cron: Cron, t: Date): boolean {
  const dom = t.getUTCDate();
  const lastOfMonth = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 0)).getUTCDate();
  const domOk =
    cron.dayOfMonth.any ||
    cron.dayOfMonth.values.has(dom) ||
    (cron.dayOfMonth.lastDay === true && dom === lastOfMonth);
  return domOk && matches(cron.dayOfWeek, t.getUTCDay() + 1);
}

export type ScheduleTarget = (event: EventEnvelope) => Promise<void> | void;

/** Fires each rule's target at its schedule's fire times, with timers that never keep the process alive. */
export class LocalScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly onError: (rule: string, error: unknown) => void = () => undefined) {}

  addRule(name: string, expression: string, target: ScheduleTarget): void {
    validateScheduleExpression(expression);
    this.removeRule(name);
    const arm = (after: Date) => {
      const at = nextFireTime(expression, after);
      const timer = setTimeout(
        () => {
          const event: EventEnvelope = {
            version: '0',
            id: crypto.randomUUID(),
            'detail-type': 'Scheduled Event',
            source: 'aws.events',
            account: localAccountId,
            time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
            region: localRegion,
            resources: [`arn:aws:events:${localRegion}:${localAccountId}:rule/${name}`],
            detail: {},
          };
          Promise.resolve()
            .then(() => target(event))
            .catch((error) => this.onError(name, error));
          arm(at);
        },
        Math.max(0, at.getTime() - Date.now()),
      );
      timer.unref?.();
      this.timers.set(name, timer);
    };
    arm(new Date());
  }

  removeRule(name: string): void {
    clearTimeout(this.timers.get(name));
    this.timers.delete(name);
  }

  stop(): void {
    for (const name of [...this.timers.keys()]) this.removeRule(name);
  }
}

/**
 * The time zone used to read a registry's timestamps that carry none (ACR's webhook
 * writes "2016-11-29 12:25:46"): China Standard Time (UTC+8, no daylight saving).
 * ACR's documentation does not name the zone of these times; its examples come from
 * mainland-China regions (cn-hangzhou), whose local time this is. A registry whose
 * webhook writes another zone's time sets its own `timezone`.
 */
export const DEFAULT_REGISTRY_TIMEZONE = 'Asia/Shanghai';

/** IANA names ("Asia/Shanghai", "Etc/GMT-8", "UTC"), not offsets ("+08:00"). */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** The canonical spelling of an IANA time zone name, or undefined when it is not one. */
export function canonicalTimeZone(name: string): string | undefined {
  if (!ZONE_NAME.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at `instant`, in ms (east positive). */
function offsetAt(zone: string, instant: number): number {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, format);
  }
  const part = Object.fromEntries(
    format.formatToParts(new Date(instant)).map((p) => [p.type, Number(p.value)]),
  ) as Record<string, number>;
  const asUtc = Date.UTC(
    part.year!,
    part.month! - 1,
    part.day!,
    part.hour!,
    part.minute!,
    part.second!,
  );
  return asUtc - Math.floor(instant / 1000) * 1000;
}

const WALL_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/**
 * Reads a wall-clock time without zone ("2016-11-29 12:25:46", optionally with
 * fractions or a "T") as the time it was in `zone`. A time that falls in a daylight
 * saving gap or overlap is read with the offset in force just after the change (the
 * default zone has none). Undefined when the text is not such a time.
 */
export function wallTimeIn(zone: string, text: string): Date | undefined {
  const match = WALL_TIME.exec(text.trim());
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as number[];
  const ms = match[7] ? Number(match[7].slice(0, 3).padEnd(3, '0')) : 0;
  const wall = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!, ms);
  const check = new Date(wall);
  // Date.UTC rolls 2016-02-30 over to March: refuse instead.
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month! - 1 ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== hour ||
    check.getUTCMinutes() !== minute ||
    check.getUTCSeconds() !== second
  ) {
    return undefined;
  }
  const first = wall - offsetAt(zone, wall);
  return new Date(wall - offsetAt(zone, first));
}

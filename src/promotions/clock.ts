import { Injectable } from '@nestjs/common';

/**
 * The time gates decide by (soak, window, approval expiry, check timeouts). One
 * injectable clock, so tests can move it instead of waiting for a window to open.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}

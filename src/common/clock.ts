/** The time source. Injected so that expiry is tested by moving a clock, never by sleeping. */
export abstract class Clock {
  abstract now(): Date;

  nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  secondsFromNow(seconds: number): Date {
    return new Date(this.now().getTime() + seconds * 1000);
  }
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

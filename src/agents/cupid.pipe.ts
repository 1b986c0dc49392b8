import { Injectable, PipeTransform } from '@nestjs/common';
import { ValidationFailedError } from '../common/problem';

/** A CUPID in a path: 1 to 64 visible characters (what the schema stores). */
@Injectable()
export class InvalidCupidPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!/^[A-Za-z0-9._:@-]{1,64}$/.test(value))
      throw new ValidationFailedError([
        { field: 'cupid', messages: ['cupid must be 1 to 64 letters, digits or ._:@-'] },
      ]);
    return value;
  }
}

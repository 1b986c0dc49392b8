import { Body, Controller, Module, Post } from '@nestjs/common';
import { IsEmail, IsInt, IsString, Max, Min } from 'class-validator';

/** A test-only endpoint with a validated body, to exercise the global validation and error handling. */
class EchoDto {
  @IsString() name: string;
  @IsEmail() email: string;
  @IsInt() @Min(1) @Max(10) count: number;
}

@Controller('test-echo')
class EchoController {
  @Post()
  echo(@Body() body: EchoDto): EchoDto {
    return body;
  }

  @Post('boom')
  boom(): never {
    throw new Error('database password is hunter2 at 10.0.0.5');
  }
}

@Module({ controllers: [EchoController] })
export class EchoModule {}

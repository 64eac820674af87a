import { Injectable } from '@nestjs/common';
import { JsonSchemaPipe } from '../../common/http/json-schema.pipe';
import { AppConfig } from '../../config/app-config';
import { PushRequest, pushRequestSchema } from './dto/queue.dto';

/** The push body schema, compiled once per app with its PUSH_MAX_ITEMS. */
@Injectable()
export class PushBodyPipe extends JsonSchemaPipe<PushRequest> {
  constructor(config: AppConfig) {
    super(pushRequestSchema(config.get('PUSH_MAX_ITEMS')));
  }
}

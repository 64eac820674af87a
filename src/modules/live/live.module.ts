import { Module } from '@nestjs/common';
import { ChangeHub } from './change-hub';
import { ChangeListenerService } from './change-listener.service';
import { StreamRegistry } from './stream-registry';

/** Wake-ups for readers of the changes feed (streams, long polls), across replicas. */
@Module({
  providers: [ChangeHub, ChangeListenerService, StreamRegistry],
  exports: [ChangeHub, StreamRegistry],
})
export class LiveModule {}

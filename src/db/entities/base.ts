import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../../lib/ids.ts';

/** Every table: a time-ordered uuid and creation/update timestamps. */
export const BaseSchema = defineEntity({
  name: 'BaseEntity',
  abstract: true,
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

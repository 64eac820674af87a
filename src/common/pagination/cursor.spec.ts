import { AppException } from '../errors/app-exception';
import { CursorCodec } from './cursor';

describe(CursorCodec.name, () => {
  const codec = new CursorCodec('t1:', [/^\d+$/, /^.+$/s]);

  it('round-trips its parts, the last one keeping any ":"', () => {
    expect(codec.decode(codec.encode(['42', 'device:with:colons']))).toEqual(['42', 'device:with:colons']);
  });

  it.each(['', 'bm9wZQ', Buffer.from('t2:1:x').toString('base64url'), Buffer.from('t1:x:y').toString('base64url')])(
    'refuses %j with a 400',
    (cursor) => {
      expect(() => codec.decode(cursor)).toThrow(AppException);
    },
  );

  it('keeps the feed cursor format devices already hold', () => {
    expect(new CursorCodec('cs1:', [/^\d{1,18}$/]).encode(['7'])).toBe(Buffer.from('cs1:7').toString('base64url'));
  });
});

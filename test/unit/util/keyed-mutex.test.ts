import { describe, expect, it } from 'vitest';
import { KeyedMutex } from '../../../shared/util/keyed-mutex.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('KeyedMutex', () => {
  it('runs holders of one key one after another, in the order they asked', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const holder = (name: string) =>
      mutex.run(['lb-1'], async () => {
        log.push(`${name} in`);
        await tick();
        await tick();
        log.push(`${name} out`);
      });
    await Promise.all([holder('a'), holder('b'), holder('c')]);
    expect(log).toEqual(['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
    expect(mutex.size).toBe(0);
  });

  it('lets holders of different keys run at the same time', async () => {
    const mutex = new KeyedMutex();
    let inside = 0;
    let most = 0;
    const holder = (key: string) =>
      mutex.run([key], async () => {
        most = Math.max(most, ++inside);
        await tick();
        inside--;
      });
    await Promise.all([holder('lb-1'), holder('lb-2'), holder('lb-3')]);
    expect(most).toBe(3);
  });

  it('takes several keys without deadlock whatever order callers name them in', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const holder = (name: string, keys: string[]) =>
      mutex.run(keys, async () => {
        log.push(name);
        await tick();
      });
    await Promise.all([holder('ab', ['lb-a', 'lb-b']), holder('ba', ['lb-b', 'lb-a']), holder('b', ['lb-b', 'lb-b'])]);
    expect(log.sort()).toEqual(['ab', 'b', 'ba']);
    expect(mutex.size).toBe(0);
  });

  it('releases the key when the holder fails, and passes the failure on', async () => {
    const mutex = new KeyedMutex();
    await expect(
      mutex.run(['lb-1'], async () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    await expect(mutex.run(['lb-1'], async () => 'next')).resolves.toBe('next');
  });
});

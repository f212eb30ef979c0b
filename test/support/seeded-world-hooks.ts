import { afterAll, beforeAll } from 'vitest';
import { type SeededSession, type SeededWorld, seedWorld, seededSession } from './local-aws-fixtures';

/** A file's shared stand-in: seeded before its tests, closed after them (vitest hooks, so not for bench/). */

/** Seeds a world (see seedWorld) before the file's tests, hands it to `receive`, and closes it after them. */
export function useSeededWorld(receive: (world: SeededWorld) => void): void {
  let world: SeededWorld | undefined;
  beforeAll(async () => {
    world = await seedWorld();
    receive(world);
  });
  afterAll(async () => {
    await world?.local.close();
  });
}

/** Like useSeededWorld, with a session of the seeded role named `sessionName` (see seededSession). */
export function useSeededSession(sessionName: string, receive: (seeded: SeededSession) => void): void {
  let seeded: SeededSession | undefined;
  beforeAll(async () => {
    seeded = await seededSession(sessionName);
    receive(seeded);
  });
  afterAll(async () => {
    await seeded?.world.local.close();
  });
}

import type { Avatar } from './avatar.ts';

export interface AvatarStore {
  set(avatar: Avatar): Promise<void>;
  get(userId: string): Promise<Avatar | undefined>;
  /** When the user's avatar was last set; null when they have none. Reads no image bytes. */
  updatedAt(userId: string): Promise<string | null>;
  delete(userId: string): Promise<void>;
}
